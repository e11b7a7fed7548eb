import type { ClientRequest, IncomingMessage } from 'node:http';
import { UpstreamError } from '../errors.js';
import type { HeaderList, TunnelResponse } from '../tunnel/call-types.js';
import { collectEarly, nextTurn, wholeEarly, type NextTurn } from '../tunnel/early-body.js';
import { MAX_CHUNK_BYTES } from '../tunnel/frame-format.js';
import { forwardableHeaders, headerRecord } from '../tunnel/http-headers.js';
import { drained } from './drained.js';
import { readResponseBody, settleWindow, type SettleWindow } from './read-ahead.js';
import type { UpstreamClient } from './upstream-client.js';
import { abortReason, type CancelSignal } from '../cancellation.js';

/** One upstream HTTP request: where, what, and the headers already prepared (Tether's own included). */
export interface UpstreamRequest {
  baseUrl: string;
  method: string;
  path: string;
  query: string;
  headers: HeaderList;
  body: AsyncIterable<Uint8Array> | undefined;
  signal: CancelSignal;
}

/** The framing headers, never forwarded as they came. */
const FRAMING: ReadonlySet<string> = new Set(['transfer-encoding', 'content-length']);

/**
 * The request headers with the body's framing set here, never taken from the caller or the peer: the length of a
 * body that is complete; else a declared length (enforced by strictContentLength) or chunked encoding, set
 * explicitly because node would not chunk a GET, DELETE or OPTIONS body and would write it unframed.
 */
export function framedHeaders(
  list: HeaderList,
  early: { ended: boolean; head: Uint8Array } | undefined,
): Record<string, string | string[]> {
  const headers = headerRecord(list, FRAMING);
  if (!early) return headers;
  if (early.ended) {
    headers['content-length'] = String(early.head.byteLength);
    return headers;
  }
  // A declared length counts only when it was declared once.
  let declared: string | undefined;
  let declarations = 0;
  for (const [name, value] of list)
    if (name.toLowerCase() === 'content-length') {
      declarations++;
      declared = value;
    }
  if (declarations === 1 && declared !== undefined && /^\d{1,15}$/.test(declared))
    headers['content-length'] = declared;
  else headers['transfer-encoding'] = 'chunked';
  return headers;
}

/** A route address parsed (URL parsing showed in the agent's profile, once per call). */
interface UpstreamBase {
  protocol: string;
  hostname: string;
  port: string | number;
  /** The address's path without its trailing slash, put before the call's path. */
  prefix: string;
  secure: boolean;
}

const bases = new Map<string, UpstreamBase>();

/** `baseUrl` parsed, from a small cache (an agent or hub has a few route addresses, not thousands). */
function upstreamBase(baseUrl: string): UpstreamBase {
  let parsed = bases.get(baseUrl);
  if (!parsed) {
    const base = new URL(baseUrl);
    const secure = base.protocol === 'https:';
    parsed = {
      protocol: base.protocol,
      hostname: base.hostname.replace(/^\[|\]$/g, ''),
      port: base.port || (secure ? 443 : 80),
      prefix: base.pathname.replace(/\/$/, ''),
      secure,
    };
    if (bases.size >= 1_000) bases.clear();
    bases.set(baseUrl, parsed);
  }
  return parsed;
}

/**
 * Destroys `out` when `signal` aborts, until `out` closes: one listener each way, where node's own `signal` option
 * watches the request with end-of-stream (every listener of it showed in the agent's profile, per call).
 */
export function abortWith(signal: CancelSignal, out: ClientRequest): void {
  const onAbort = (): void => void out.destroy(abortReason(signal));
  if (signal.aborted) return onAbort();
  signal.addEventListener('abort', onAbort, { once: true });
  out.once('close', () => signal.removeEventListener('abort', onAbort));
}

/** A short, address-free name of a socket error (ECONNREFUSED), for messages callers see. */
function codeOf(err: Error): string {
  return (err as NodeJS.ErrnoException).code ?? 'connection failed';
}

/** Methods RFC 9110 calls idempotent: sending one twice has the effect of sending it once. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/**
 * Whether a failed request may be sent once more on a new socket: it went out on a pooled socket that the service
 * closed (its keep-alive timeout racing our reuse: reset before any response) and its method is idempotent (the
 * caller also needs the body whole in memory). A POST is never sent twice: the service may have acted on it.
 */
export function mayResend(
  failure: { reusedSocket: boolean; responded: boolean; code: string | undefined },
  method: string,
): boolean {
  const reset = failure.code === 'ECONNRESET' || failure.code === 'EPIPE';
  return failure.reusedSocket && !failure.responded && reset && IDEMPOTENT.has(method);
}

/** The settle window of every forwarded response (RESPONSE_SETTLE_MS on the system clock). */
const SETTLE = settleWindow();

/**
 * Sends a request to `baseUrl + path` and resolves with the response head; the body streams after. A response
 * whose end comes within its `settle` window travels whole. A short body
 * that is already complete goes out in one write with its length; a longer one streams with backpressure. An
 * idempotent request whose pooled socket the service had just closed is sent once more on a new socket (mayResend).
 */
export function forwardHttp(
  req: UpstreamRequest,
  client: UpstreamClient,
  turn: NextTurn = nextTurn,
  settle: SettleWindow = SETTLE,
): Promise<TunnelResponse> {
  try {
    // No body, or one whole in memory: sent at once, without a promise or a turn first (once per call).
    const body = req.body;
    const whole = body ? wholeEarly(body, MAX_CHUNK_BYTES) : undefined;
    if (!body || whole) return sendOnce(req, client, whole, settle, true);
    return collectEarly(body, MAX_CHUNK_BYTES, turn).then((early) =>
      sendOnce(req, client, early, settle, early.ended),
    );
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

/** One attempt of forwardHttp; `resend`: the body is whole in memory and this is the first attempt. */
function sendOnce(
  req: UpstreamRequest,
  client: UpstreamClient,
  early: Awaited<ReturnType<typeof collectEarly>> | undefined,
  settle: SettleWindow,
  resend: boolean,
): Promise<TunnelResponse> {
  const { protocol, hostname, port, prefix, secure } = upstreamBase(req.baseUrl);
  const headers = framedHeaders(req.headers, early);
  return new Promise<TunnelResponse>((resolve, reject) => {
    let bodyError: Error | undefined;
    let responded = false;
    const out = client.request(secure, {
      protocol,
      hostname,
      port,
      method: req.method,
      path: `${prefix}${req.path}${req.query ? `?${req.query}` : ''}`,
      headers,
    });
    abortWith(req.signal, out);
    // A declared length that the bytes do not match is an error, never bytes read as another request.
    (out as { strictContentLength?: boolean }).strictContentLength = true;
    const failed = (err: Error): void => {
      if (req.signal.aborted) return reject(abortReason(req.signal));
      if (bodyError !== undefined) return reject(bodyError);
      const failure = {
        reusedSocket: out.reusedSocket,
        responded,
        code: (err as NodeJS.ErrnoException).code,
      };
      if (resend && mayResend(failure, req.method))
        return resolve(sendOnce(req, client, early, settle, false));
      // The caller learns that the instance failed, not where it lives; the cause keeps the detail for the logs.
      reject(
        new UpstreamError(`the service's instance failed before answering (${codeOf(err)})`, { cause: err }),
      );
    };
    out.once('response', (res: IncomingMessage) => {
      responded = true;
      const head = { status: res.statusCode ?? 502, headers: forwardableHeaders(res.rawHeaders) };
      // Read ahead before handing on: a short body then travels whole in the RESPONSE frame / one write.
      readResponseBody(res, MAX_CHUNK_BYTES, settle).then(
        (body) => resolve({ status: head.status, headers: head.headers, body }),
        failed,
      );
    });
    out.once('error', failed);

    if (!early) return void out.end();
    if (early.ended) return void out.end(early.head);
    if (early.head.byteLength > 0) out.write(early.head);
    void (async () => {
      try {
        for await (const chunk of early.rest) {
          if (!out.write(chunk)) await drained(out);
          if (out.destroyed) return;
        }
        out.end();
      } catch (err) {
        bodyError = err instanceof Error ? err : new Error(String(err));
        out.destroy(bodyError);
      }
    })();
  });
}
