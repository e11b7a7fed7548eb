import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { UpstreamError } from '../errors.js';
import type { HeaderList } from '../tunnel/call-types.js';
import { headerRecord } from '../tunnel/http-headers.js';
import { UpgradeValueSchema, type AcceptHeader } from '../tunnel/stream-headers.js';
import { safeHeaders } from './upgrade-head.js';
import { abortWith } from './forward-http.js';
import type { HttpModules } from './upstream-client.js';
import { abortReason, type CancelSignal } from '../cancellation.js';

/**
 * One HTTP Upgrade to send upstream: where, the request head (forwardable headers only, Tether's own included) and
 * the protocol.
 */
export interface UpgradeRequest {
  baseUrl: string;
  method: string;
  path: string;
  query: string;
  headers: HeaderList;
  upgrade: string;
  signal: CancelSignal;
}

/** The upstream's answer: the protocol switched (101, its socket and the bytes it sent already) or a response. */
export type UpgradeAnswer =
  | { kind: 'switched'; accept: AcceptHeader; socket: Duplex; head: Uint8Array }
  | { kind: 'response'; accept: AcceptHeader; body: IncomingMessage };

/**
 * Sends an upgrade request (no body, a connection of its own) and resolves with the upstream's answer: on 101 its
 * socket, on any final status the response with its body to stream back. Hop-by-hop and framing headers never pass
 * either way; what passes is checked to be safe to write raw. A refused connection is an UpstreamError (502).
 */
export function forwardUpgrade(req: UpgradeRequest, modules: HttpModules): Promise<UpgradeAnswer> {
  const base = new URL(req.baseUrl);
  const secure = base.protocol === 'https:';
  const prefix = base.pathname.replace(/\/$/, '');
  // The caller filtered the client's headers already and added Tether's own: filtering again would drop those.
  const headers = headerRecord(req.headers);
  delete headers['content-length'];
  delete headers['transfer-encoding'];
  headers.connection = 'upgrade';
  headers.upgrade = req.upgrade;
  return new Promise((resolve, reject) => {
    const out = (secure ? modules.https : modules.http).request({
      protocol: base.protocol,
      hostname: base.hostname.replace(/^\[|\]$/g, ''),
      port: base.port || (secure ? 443 : 80),
      method: req.method,
      path: `${prefix}${req.path}${req.query ? `?${req.query}` : ''}`,
      headers,
      agent: false,
    });
    abortWith(req.signal, out);
    out.once('upgrade', (res: IncomingMessage, socket: Duplex, head: Buffer) => {
      const upgrade = UpgradeValueSchema.safeParse(res.headers.upgrade);
      if (!upgrade.success) {
        socket.destroy();
        return reject(new UpstreamError('the service switched protocols without a valid Upgrade header'));
      }
      socket.on('error', () => undefined);
      socket.pause();
      const accept = { status: 101, upgrade: upgrade.data, headers: safeHeaders(res.rawHeaders) };
      resolve({ kind: 'switched', accept, socket, head });
    });
    out.once('response', (res: IncomingMessage) => {
      res.pause();
      resolve({
        kind: 'response',
        accept: { status: res.statusCode ?? 502, headers: safeHeaders(res.rawHeaders) },
        body: res,
      });
    });
    out.once('error', (err: Error) => {
      if (req.signal.aborted) return reject(abortReason(req.signal));
      const code = (err as NodeJS.ErrnoException).code ?? 'connection failed';
      reject(new UpstreamError(`the service's instance failed before answering (${code})`, { cause: err }));
    });
    out.end();
  });
}
