import type { WholeBody } from './early-body.js';

/** How a watched body ended: read to its end, failed, or left unfinished by its reader. */
export type BodyEnd = { kind: 'complete' } | { kind: 'failed'; error: unknown } | { kind: 'abandoned' };

const COMPLETE: BodyEnd = { kind: 'complete' };
const ABANDONED: BodyEnd = { kind: 'abandoned' };

/**
 * A body passed through, telling once how it ended. A class: an object literal with a computed-key method names a
 * new function on every body (V8's SetName), which showed in the hub's profile once per call.
 */
class WatchedBody implements WholeBody {
  readonly #body: AsyncIterable<Uint8Array>;
  readonly #onEnd: (end: BodyEnd) => void;
  #told = false;

  constructor(body: AsyncIterable<Uint8Array>, onEnd: (end: BodyEnd) => void) {
    this.#body = body;
    this.#onEnd = onEnd;
  }

  takeWhole(max: number): Uint8Array[] | undefined {
    const take = (this.#body as Partial<WholeBody>).takeWhole;
    const whole = typeof take === 'function' ? take.call(this.#body, max) : undefined;
    if (whole) this.#tell(COMPLETE);
    return whole;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    try {
      yield* this.#body;
      this.#tell(COMPLETE);
    } catch (error) {
      this.#tell({ kind: 'failed', error });
      throw error;
    } finally {
      this.#tell(ABANDONED);
    }
  }

  #tell(end: BodyEnd): void {
    if (this.#told) return;
    this.#told = true;
    this.#onEnd(end);
  }
}

/**
 * Passes a body through and tells `onEnd` once how it ended. Keeps `takeWhole`, so a body that is already whole
 * still travels without being iterated (see `collectEarly`).
 */
export function watchBody(body: AsyncIterable<Uint8Array>, onEnd: (end: BodyEnd) => void): WholeBody {
  return new WatchedBody(body, onEnd);
}

/** Passes a body through and calls `end` once when it was read to its end, broke, or was abandoned. */
export function onBodyEnd(body: AsyncIterable<Uint8Array>, end: () => void): WholeBody {
  return watchBody(body, () => end());
}
