import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  CallCancelledError,
  callTarget,
  DEFAULT_MAX_BODY_BYTES,
  forwardableHeaders,
  type HeaderList,
  limitBody,
  readCallHead,
  type RequestTarget,
  sendCallError,
  serveUpgrade,
  type TunnelEndpoint,
  upgradeOpen,
  writeCallResponse,
  type CancelSignal,
  Cancellation,
} from '@tether/shared';
import type { AgentLogger } from '../observability/logger.js';

/** What the local proxy needs. */
export interface LocalProxyDeps {
  /** This agent's id: the caller of every call it sends up. */
  id: string;
  endpoint: TunnelEndpoint;
  maxBodyBytes?: number;
  /** The local API's token, when it has one: an `Authorization` carrying it is the agent's, never forwarded. */
  apiToken?: string | undefined;
  /** Told when a call starts; the function it returns gets the final status (499: the caller went away). */
  observe?: (service: string) => (status: number) => void;
  /** Told why a response was cut after its head went out (the edge app saw a reset). */
  logger: Pick<AgentLogger, 'warn'>;
}

/** True when `header` is `Bearer <token>` for this token. */
function isBearer(header: string, token: string | undefined): boolean {
  return (
    token !== undefined && /^bearer\s+/i.test(header) && header.replace(/^bearer\s+/i, '').trim() === token
  );
}

/** The client's headers to forward: an `Authorization` carrying the local API's own token is the agent's. */
function forwarded(req: IncomingMessage, apiToken: string | undefined): HeaderList {
  return forwardableHeaders(req.rawHeaders).filter(
    ([name, value]) => name.toLowerCase() !== 'authorization' || !isBearer(value, apiToken),
  );
}

/** The status a call the caller abandoned is counted with (as nginx logs it). */
const CLIENT_CLOSED_STATUS = 499;

/** The node:http handler of `/call/...` requests, given the canonical target that was authorised. */
export type LocalProxy = (req: IncomingMessage, res: ServerResponse, target: RequestTarget) => void;

/**
 * `ANY /call/<service>/<path...>` on the agent's API port: sends the call up the tunnel (the hub routes it) and
 * streams the response back. Increments `x-tether-hops`; the hub sets `x-tether-caller` from the agent's identity.
 */
export function createLocalProxy(deps: LocalProxyDeps): LocalProxy {
  const max = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return (req, res, target) => {
    const parts = callTarget(target);
    const ac = new Cancellation();
    const done = deps.observe?.(parts.service);
    res.once('close', () => {
      if (!res.writableFinished) ac.abort(new CallCancelledError('the client went away'));
      done?.(res.writableFinished ? res.statusCode : CLIENT_CLOSED_STATUS);
    });
    void (async () => {
      try {
        const { hops, timeoutMs } = readCallHead(req, max);
        const length = Number(req.headers['content-length'] ?? 0);
        const hasBody =
          (req.headers['content-length'] !== undefined && length > 0) ||
          req.headers['transfer-encoding'] !== undefined;
        const response = await deps.endpoint.call(
          {
            ...parts,
            method: req.method ?? 'GET',
            headers: forwarded(req, deps.apiToken),
            caller: deps.id,
            hops,
          },
          { timeoutMs, signal: ac.signal, ...(hasBody ? { body: limitBody(req, max) } : {}) },
        );
        const cut = await writeCallResponse(req, res, response);
        if (cut && !ac.signal.aborted)
          deps.logger.warn(
            { service: parts.service, err: cut.message },
            'call failed after its response head was sent: the client saw the connection cut',
          );
      } catch (err) {
        if (ac.signal.aborted) return;
        sendCallError(req, res, err);
      }
    })();
  };
}

/** The upgrade handler of `/call/...` on the agent's API port. */
export type LocalUpgrade = (
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  target: RequestTarget,
) => void;

/**
 * An HTTP Upgrade (a WebSocket) of a local app to `/call/<service>/...`: checked as a call is, then a stream up the
 * tunnel (the hub routes it as this agent's calls, a central service or another edge's one a policy allows); the
 * service's answer is written back raw and the connections spliced. `refused` counts the failures.
 */
export function createLocalUpgrade(deps: LocalProxyDeps & { refused(code: string): void }): LocalUpgrade {
  return (req, socket, head, target) => {
    const open = async (signal: CancelSignal) => {
      const { request, timeoutMs } = upgradeOpen(req, target, deps.id, forwarded(req, deps.apiToken));
      const opened = await deps.endpoint.openStream(request, { timeoutMs, signal });
      return { pipe: opened.stream, accept: opened.accept };
    };
    serveUpgrade(socket, head, open, {
      refused: (err) => deps.refused((err as { code?: string }).code ?? 'bad_gateway'),
    });
  };
}
