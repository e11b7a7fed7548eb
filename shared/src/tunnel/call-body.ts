import { PayloadTooLargeError } from '../errors.js';
import { wholeBody } from './early-body.js';

/** Bodies up to this size are held in memory so an idempotent call can be retried (64 KiB). */
export const RETRY_BUFFER_BYTES = 64 * 1024;
/** The default request body limit (64 MiB). */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

/** A request body ready to send: none, fully buffered (replayable), or a stream that can be read once. */
export type PreparedBody =
  | { kind: 'none' }
  | { kind: 'buffered'; chunks: Uint8Array[] }
  | { kind: 'stream'; body: AsyncIterable<Uint8Array> };

/** Counts bytes through a body and throws PayloadTooLargeError past `max`. */
export async function* limitBody(body: AsyncIterable<Uint8Array>, max: number): AsyncGenerator<Uint8Array> {
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > max) throw new PayloadTooLargeError(`request body over the limit of ${max} bytes`);
    yield chunk;
  }
}

/** Reads up to RETRY_BUFFER_BYTES of a body: a short body is buffered whole, a longer one stays a stream. */
export async function prepareBody(body: AsyncIterable<Uint8Array>, max: number): Promise<PreparedBody> {
  const it = limitBody(body, max)[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const next = await it.next();
    if (next.done) return size === 0 ? { kind: 'none' } : { kind: 'buffered', chunks: head };
    head.push(next.value);
    size += next.value.byteLength;
    if (size > RETRY_BUFFER_BYTES) break;
  }
  async function* rest(): AsyncGenerator<Uint8Array> {
    yield* head;
    for (;;) {
      const next = await it.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { kind: 'stream', body: rest() };
}

/**
 * The body to send for one attempt (a buffered body replays; a stream can be used once). The `last` attempt takes
 * a buffered body's chunks out of it: the call no longer holds them once they were sent (under load a call waits
 * for its answer long enough for them to reach the old generation, and only a full collection freed them).
 */
export function bodyForAttempt(body: PreparedBody, last = false): AsyncIterable<Uint8Array> | undefined {
  if (body.kind === 'none') return undefined;
  if (body.kind === 'stream') return body.body;
  // An earlier attempt reads its own copy of the list: the last one empties the body's.
  return wholeBody(last ? body.chunks.splice(0) : [...body.chunks]);
}
