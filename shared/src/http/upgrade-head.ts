import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import { ValidationError } from '../errors.js';
import { splice } from '../byte-pipe.js';
import type { FarEnd } from '../streams/far-end.js';
import { socketPipe, type PipeSocket } from '../streams/socket-pipe.js';
import type { HeaderList } from '../tunnel/call-types.js';
import { forwardableHeaders } from '../tunnel/http-headers.js';
import { SafeHeaderListSchema, UpgradeValueSchema, type AcceptHeader } from '../tunnel/stream-headers.js';

const SAFE_PAIR = SafeHeaderListSchema.element;

/**
 * Response headers that may be written raw on a client's socket: forwardable (no hop-by-hop), no framing
 * (`content-length`: an upgraded or close-delimited answer has none of its own), each pair a token and a value
 * without CR or LF.
 */
export function safeHeaders(raw: readonly string[]): HeaderList {
  return forwardableHeaders(raw).filter(
    ([name, value]) => name.toLowerCase() !== 'content-length' && SAFE_PAIR.safeParse([name, value]).success,
  );
}

/**
 * The `Upgrade` an HTTP client asked for, checked: a valid protocol list, and a request without a body (an upgrade
 * is forwarded as a head only). Throws ValidationError saying what was wrong.
 */
export function upgradeOf(req: IncomingMessage): string {
  const parsed = UpgradeValueSchema.safeParse(req.headers.upgrade);
  if (!parsed.success)
    throw new ValidationError('invalid Upgrade header: name the protocol to switch to, e.g. "websocket"');
  const length = req.headers['content-length'];
  if ((length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined)
    throw new ValidationError(
      'an upgrade request with a body is not forwarded: send the body after the switch',
    );
  return parsed.data;
}

/**
 * The response head to write raw on the client's socket for an accepted upgrade: `101 Switching Protocols` with the
 * upstream's protocol, or its final status with `connection: close` (the body follows until the stream ends). Only
 * safe headers pass (they were checked at ingress already; this is the last line).
 */
export function acceptHead(accept: AcceptHeader): string {
  const status = accept.status ?? 502;
  const headers = (accept.headers ?? []).filter(
    ([name, value]) =>
      !['content-length', 'transfer-encoding', 'connection', 'upgrade'].includes(name.toLowerCase()) &&
      SAFE_PAIR.safeParse([name, value]).success,
  );
  const lines =
    status === 101
      ? ['HTTP/1.1 101 Switching Protocols', 'connection: upgrade', `upgrade: ${accept.upgrade ?? ''}`]
      : [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`, 'connection: close'];
  return `${[...lines, ...headers.map(([name, value]) => `${name}: ${value}`)].join('\r\n')}\r\n\r\n`;
}

/**
 * Answers a client's upgrade with the far end's ACCEPT (written raw on its socket) and splices the two: on 101 the
 * bytes the client sent after its head go first, the far end's early bytes come back first. `done` is told once
 * both are over.
 */
export function joinUpgrade(
  socket: PipeSocket,
  clientHead: Uint8Array,
  far: FarEnd,
  done?: (error?: Error) => void,
): void {
  socket.write(acceptHead(far.accept));
  if (far.early) socket.write(far.early);
  if (far.accept.status === 101 && clientHead.byteLength > 0) far.pipe.write(clientHead);
  splice(socketPipe(socket), far.pipe, done);
}
