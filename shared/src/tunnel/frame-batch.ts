import type { NextTurn } from './early-body.js';
import { encodeFrameParts, frameLength, decodeFrame, type DecodeResult } from './frame-codec.js';
import type { Frame } from './frame-format.js';

/** The most bytes of frames one transport message carries (a lone larger frame goes alone). */
export const MAX_FRAME_BATCH_BYTES = 128 * 1024;
/**
 * The most frames one transport message carries. A full batch leaves at once instead of at the end of the turn, so
 * the peer starts on it while this side is still producing: under load the two processes work in parallel rather
 * than in turns (measured: ~1.4x the calls/s of whole-turn batches at 64 in flight, `pnpm bench:tunnel`).
 */
export const MAX_FRAMES_PER_BATCH = 16;

/** Decodes the frames of one transport message, in order; stops at the first one whose length is broken. */
export function decodeFrames(bytes: Uint8Array): DecodeResult[] {
  const out: DecodeResult[] = [];
  let at = 0;
  while (at < bytes.byteLength) {
    const length = frameLength(bytes, at);
    if (length === undefined || at + length > bytes.byteLength) {
      out.push({ ok: false, reason: at === 0 && length === undefined ? 'short' : 'length' });
      break;
    }
    out.push(decodeFrame(bytes.subarray(at, at + length)));
    at += length;
  }
  if (out.length === 0) out.push({ ok: false, reason: 'short' });
  return out;
}

/** Hands one message's bytes to the transport: `parts` in order, `size` bytes in all (the parts are not joined). */
export type PublishParts = (parts: Uint8Array[], size: number) => Promise<void>;

interface Batch {
  /** Each frame's head and body bytes, handed on as they are when the message leaves. */
  parts: Uint8Array[];
  frames: number;
  size: number;
  sent: boolean;
  /** Made only when a sender asks for a promise (`send`); posted frames share `failed` instead. */
  done: Promise<void> | undefined;
  resolve: (() => void) | undefined;
  reject: ((err: unknown) => void) | undefined;
  /** Told when the message could not be handed to the transport (each distinct callback once in a row). */
  failed: Array<(err: unknown) => void>;
}

/**
 * Gathers the frames sent within one event-loop turn into transport messages of up to MAX_FRAMES_PER_BATCH frames and
 * MAX_FRAME_BATCH_BYTES: under load many calls share a publish (one broker message, one socket write). A call's
 * REQUEST or RESPONSE sent after a whole turn without a message leaves as soon as the work in hand is done (`soon`),
 * not at the end of its turn: a lone call does not wait behind the rest of the turn (pooled sockets handed back,
 * bookkeeping). Stream bytes and a busy link keep whole-turn batches: sending each turn's first message alone cost
 * 15-20% more CPU per request through a TCP listener (pnpm bench:tunnel). Messages go out in the order their frames
 * were sent.
 */
export class FrameBatcher {
  readonly #publish: PublishParts;
  readonly #turn: NextTurn;
  readonly #maxBytes: number;
  readonly #soon: (task: () => void) => void;
  #open: Batch | undefined;
  /** A whole turn passed without a message: the next one leaves soon. */
  #quiet = true;
  /** A message was started in the turn running now. */
  #active = false;
  /** A turn end is awaited (#turnEnded). */
  #watching = false;

  /** `soon`: runs a task once the work in hand is done (default `queueMicrotask`). */
  constructor(
    publish: PublishParts,
    turn: NextTurn,
    maxBytes = MAX_FRAME_BATCH_BYTES,
    soon: (task: () => void) => void = queueMicrotask,
  ) {
    this.#publish = publish;
    this.#turn = turn;
    this.#maxBytes = maxBytes;
    this.#soon = soon;
  }

  /**
   * Queues a frame; resolves when the message carrying it was handed to the transport. Its body is not copied: the
   * sender hands the bytes over and does not change them.
   */
  send(frame: Frame): Promise<void> {
    const batch = this.#add(frame);
    if (!batch.done) {
      batch.done = new Promise<void>((resolve, reject) => {
        batch.resolve = resolve;
        batch.reject = reject;
      });
      batch.done.catch(() => undefined); // each sender handles (or ignores) the failure through its own promise
    }
    const done = batch.done;
    this.#full(batch);
    return done;
  }

  /**
   * Queues a frame as `send` does, without a promise of its own (the hot path: one bytes frame per socket read);
   * `failed` is told if the message carrying it could not be handed to the transport.
   */
  post(frame: Frame, failed?: (err: unknown) => void): void {
    const batch = this.#add(frame);
    if (failed && batch.failed[batch.failed.length - 1] !== failed) batch.failed.push(failed);
    this.#full(batch);
  }

  #add(frame: Frame): Batch {
    const { head, body, parts, bodyLength } = encodeFrameParts(frame);
    const length = head.byteLength + bodyLength;
    let batch = this.#open;
    if (batch && batch.size + length > this.#maxBytes) {
      this.#flush(batch);
      batch = undefined;
    }
    if (!batch) batch = this.#start(frame.type === 'request' || frame.type === 'response');
    batch.parts.push(head);
    if (body) batch.parts.push(body);
    else if (parts) for (const part of parts) if (part.byteLength > 0) batch.parts.push(part);
    batch.frames++;
    batch.size += length;
    return batch;
  }

  /** A full batch leaves now. */
  #full(batch: Batch): void {
    if (batch.frames >= MAX_FRAMES_PER_BATCH) this.#flush(batch);
  }

  /** `urgent`: the batch opens with a call's REQUEST or RESPONSE (someone waits on it). */
  #start(urgent: boolean): Batch {
    const batch: Batch = {
      parts: [],
      frames: 0,
      size: 0,
      sent: false,
      done: undefined,
      resolve: undefined,
      reject: undefined,
      failed: [],
    };
    this.#open = batch;
    this.#active = true;
    if (this.#quiet && urgent) {
      this.#quiet = false;
      this.#soon(() => this.#flush(batch));
    }
    this.#watch();
    return batch;
  }

  #watch(): void {
    if (this.#watching) return;
    this.#watching = true;
    void this.#turn().then(() => this.#turnEnded());
  }

  /** At the end of a turn: its open message leaves; a turn that started none makes the batcher quiet. */
  #turnEnded(): void {
    this.#watching = false;
    if (this.#open) this.#flush(this.#open);
    if (!this.#active) {
      this.#quiet = true;
      return;
    }
    this.#active = false;
    this.#watch();
  }

  #flush(batch: Batch): void {
    if (batch.sent) return;
    batch.sent = true;
    if (this.#open === batch) this.#open = undefined;
    let published: Promise<void>;
    try {
      published = this.#publish(batch.parts, batch.size);
    } catch (err) {
      // A transport that throws at once fails this message's frames, no more.
      published = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    published.then(batch.resolve, (err: unknown) => {
      batch.reject?.(err);
      for (const failed of batch.failed) failed(err);
    });
  }
}
