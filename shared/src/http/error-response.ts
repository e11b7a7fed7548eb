import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import { TetherError } from '../errors.js';
import { errorStatus } from '../error-status.js';

/** An error as every Tether HTTP server answers it: status, headers and `{"error":{"code","message"}}`. */
export interface ErrorAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * The answer to an error. A TetherError's code and message are for the client; anything else is `internal`
 * (`bad_gateway` on a proxied call, `fallback` 502) and its message never leaves. 401 asks for a bearer token;
 * 503 too_busy says when to retry.
 */
export function errorAnswer(err: unknown, fallback = 500): ErrorAnswer {
  const status = errorStatus(err, fallback);
  const known = err instanceof TetherError;
  const code = known ? err.code : fallback === 502 ? 'bad_gateway' : 'internal';
  const message = known ? err.message : fallback === 502 ? 'call failed' : 'internal error';
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (code === 'too_busy') headers['retry-after'] = '1';
  if (status === 401) headers['www-authenticate'] = 'Bearer realm="tether"';
  return { status, headers, body: JSON.stringify({ error: { code, message } }) };
}

/** Answers a request with an error (see errorAnswer); a body not read whole closes the connection after. */
export function sendError(req: IncomingMessage, res: ServerResponse, err: unknown, fallback = 500): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const answer = errorAnswer(err, fallback);
  if (!req.complete) {
    // A request body nobody will read: do not keep this connection (nor read megabytes for nothing).
    answer.headers.connection = 'close';
    req.resume();
  }
  answer.headers['content-length'] = String(Buffer.byteLength(answer.body));
  res.writeHead(answer.status, answer.headers).end(answer.body);
}

/** Refuses an HTTP upgrade with the same status, headers and body as sendError, then closes the socket. */
export function rejectUpgrade(socket: Duplex, err: unknown): void {
  if (socket.destroyed) return;
  const answer = errorAnswer(err);
  const head = Object.entries({ ...answer.headers, 'content-length': String(Buffer.byteLength(answer.body)) })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.end(
    `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? ''}\r\nconnection: close\r\n${head}\r\n${answer.body}`,
  );
}
