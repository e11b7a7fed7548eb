import type { IncomingMessage, ServerResponse } from 'node:http';
import { callErrorStatus, headerRecord, TetherError, type TunnelResponse } from '@tether/shared';
import { drained } from './http-forward.js';

/** Writes a call's response: head at once, then every chunk as it arrives, with backpressure. */
export async function writeCallResponse(res: ServerResponse, response: TunnelResponse): Promise<void> {
  res.writeHead(response.status, headerRecord(response.headers));
  res.flushHeaders();
  try {
    for await (const chunk of response.body) {
      if (res.destroyed) return;
      if (!res.write(chunk)) await drained(res);
    }
    res.end();
  } catch {
    // The head went out already: the only way to say the body broke is to cut the connection.
    res.destroy();
  }
}

/** Answers a failed call with `{"error":{"code","message"}}` and its status (503 too_busy adds retry-after). */
export function sendCallError(req: IncomingMessage, res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const status = callErrorStatus(err);
  const code = err instanceof TetherError ? err.code : 'bad_gateway';
  const message = err instanceof TetherError ? err.message : 'call failed';
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (code === 'too_busy') headers['retry-after'] = '1';
  if (!req.complete) {
    // The request body was not read whole (413, early refusal): do not keep this connection.
    headers.connection = 'close';
    req.resume();
  }
  res.writeHead(status, headers).end(JSON.stringify({ error: { code, message } }));
}
