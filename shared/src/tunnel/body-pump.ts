import type { CreditGate } from './credit-gate.js';
import { sliceChunk } from './credit-gate.js';
import { MAX_CHUNK_BYTES, type Frame } from './frame-format.js';

/** One direction of one call, as the pump sees it. */
export interface PumpTarget {
  id: number;
  /** True for the caller's (request) body, false for the callee's (response) body. */
  fromCaller: boolean;
  gate: CreditGate;
  /** True once the call ended: stop sending. */
  isDone(): boolean;
}

/** Sends a frame without waiting for the transport; a failed send calls `fail`. */
export type SendFrame = (frame: Frame, fail: (err: Error) => void) => void;

/**
 * Streams a body as DATA frames of at most 64 KiB, one unit of credit each (the window bounds what is in flight),
 * then END; stops as soon as the call is done.
 */
export async function pumpBody(
  body: AsyncIterable<Uint8Array>,
  target: PumpTarget,
  send: SendFrame,
  fail: (err: Error) => void,
): Promise<void> {
  const { id, fromCaller, gate } = target;
  for await (const chunk of body) {
    for (const piece of sliceChunk(chunk, MAX_CHUNK_BYTES)) {
      if (!(await gate.take()) || target.isDone()) return;
      send({ type: 'data', id, fromCaller, body: piece }, fail);
    }
    if (target.isDone()) return;
  }
  if (!target.isDone()) send({ type: 'end', id, fromCaller }, fail);
}
