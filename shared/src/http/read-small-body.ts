import type { IncomingMessage } from 'node:http';
import { prepareBody, RETRY_BUFFER_BYTES, type PreparedBody } from '../tunnel/call-body.js';

/** Largest declared length read whole by events instead of streamed (64 KiB, one tunnel chunk). */
export const SMALL_BODY_BYTES = 64 * 1024;

/** The declared `content-length` of a message when it is a small body (0 to SMALL_BODY_BYTES), else undefined. */
export function smallBodyLength(msg: IncomingMessage, max = SMALL_BODY_BYTES): number | undefined {
  const header = msg.headers['content-length'];
  if (header === undefined || msg.headers['transfer-encoding'] !== undefined) return undefined;
  const length = Number(header);
  return Number.isInteger(length) && length >= 0 && length <= max ? length : undefined;
}

/**
 * Reads a message whose body is small and of known length to its end with plain listeners (no async iterator, no
 * extra turns): resolves with its chunks, rejects when the stream fails or closes before its end.
 */
export function readSmallBody(msg: IncomingMessage): Promise<Uint8Array[]> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    const cleanup = (): void => {
      msg.off('data', onData);
      msg.off('end', onEnd);
      msg.off('error', onError);
      msg.off('close', onClose);
    };
    const onData = (chunk: Uint8Array): void => void chunks.push(chunk);
    const onEnd = (): void => {
      cleanup();
      resolve(chunks);
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const onClose = (): void => {
      if (msg.complete) return; // 'end' follows
      cleanup();
      reject(new Error('the connection closed before the body ended'));
    };
    msg.on('data', onData);
    msg.on('end', onEnd);
    msg.on('error', onError);
    msg.on('close', onClose);
  });
}

/**
 * The body of an incoming HTTP request, ready to send: none, a small declared body read whole (replayable), or
 * whatever `prepareBody` makes of a longer or chunked one. `max` is the body limit (PayloadTooLargeError past it).
 */
export async function readRequestBody(req: IncomingMessage, max: number): Promise<PreparedBody> {
  const length = smallBodyLength(req, Math.min(max, RETRY_BUFFER_BYTES));
  if (length === undefined) return prepareBody(req, max);
  if (length === 0) return { kind: 'none' };
  return { kind: 'buffered', chunks: await readSmallBody(req) };
}
