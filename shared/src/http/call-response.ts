import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TunnelResponse } from '../tunnel/call-types.js';
import { collectEarly, nextTurn, wholeEarly, type NextTurn } from '../tunnel/early-body.js';
import { MAX_CHUNK_BYTES } from '../tunnel/frame-format.js';
import { forwardableList, headerRecord } from '../tunnel/http-headers.js';
import { drained, mayHaveBody } from './drained.js';
import { sendError } from './error-response.js';

/**
 * Writes a call's response to the HTTP client: a short body that is complete goes out with the head in one write
 * (with its length); otherwise the head goes with the bytes already there (at once when there are none) and every
 * chunk as it arrives, with backpressure. Resolves with the error that cut the response after its head went out
 * (the client saw a reset, so the caller logs why), else undefined.
 */
export async function writeCallResponse(
  req: IncomingMessage,
  res: ServerResponse,
  response: TunnelResponse,
  turn: NextTurn = nextTurn,
): Promise<Error | undefined> {
  // The peer's hop-by-hop headers never pass, and the framing is this side's (a peer's false content-length
  // would make the client read the rest of the body as the answer to its next request).
  const headers = headerRecord(forwardableList(response.headers));
  const declared = headers['content-length'];
  if (declared !== undefined && !(typeof declared === 'string' && /^\d{1,15}$/.test(declared)))
    delete headers['content-length'];
  const bodied = mayHaveBody(req.method ?? 'GET', response.status);
  try {
    const early =
      wholeEarly(response.body, MAX_CHUNK_BYTES) ??
      (await collectEarly(response.body, MAX_CHUNK_BYTES, turn));
    if (bodied) (res as { strictContentLength?: boolean }).strictContentLength = true;
    if (early.ended) {
      if (bodied) headers['content-length'] = String(early.head.byteLength);
      res.writeHead(response.status, headers).end(early.head);
      return undefined;
    }
    res.writeHead(response.status, headers);
    // The head leaves with the first bytes (one write); alone only when there are none yet.
    if (early.parts.length === 0) res.flushHeaders();
    else if (!res.write(early.head)) await drained(res);
    for await (const chunk of early.rest) {
      if (res.destroyed) return undefined;
      if (!res.write(chunk)) await drained(res);
    }
    res.end();
    return undefined;
  } catch (err) {
    // Before the head went out the caller gets a proper error; after, the only way to say so is to cut.
    if (!res.headersSent) return void sendCallError(req, res, err);
    res.destroy();
    return err instanceof Error ? err : new Error(String(err));
  }
}

/** Answers a failed call with `{"error":{"code","message"}}` and its status (unknown errors: 502 bad_gateway). */
export function sendCallError(req: IncomingMessage, res: ServerResponse, err: unknown): void {
  sendError(req, res, err, 502);
}
