import type { WholeBody } from './early-body.js';

/** How a watched body ended: read to its end, failed, or left unfinished by its reader. */
export type BodyEnd = { kind: 'complete' } | { kind: 'failed'; error: unknown } | { kind: 'abandoned' };

/**
 * Passes a body through and tells `onEnd` once how it ended. Keeps `takeWhole`, so a body that is already whole
 * still travels without being iterated (see `collectEarly`).
 */
export function watchBody(body: AsyncIterable<Uint8Array>, onEnd: (end: BodyEnd) => void): WholeBody {
  let told = false;
  const tell = (end: BodyEnd): void => {
    if (told) return;
    told = true;
    onEnd(end);
  };
  return {
    takeWhole: (max) => {
      const take = (body as Partial<WholeBody>).takeWhole;
      const whole = typeof take === 'function' ? take.call(body, max) : undefined;
      if (whole) tell({ kind: 'complete' });
      return whole;
    },
    async *[Symbol.asyncIterator]() {
      try {
        yield* body;
        tell({ kind: 'complete' });
      } catch (error) {
        tell({ kind: 'failed', error });
        throw error;
      } finally {
        tell({ kind: 'abandoned' });
      }
    },
  };
}

/** Passes a body through and calls `end` once when it was read to its end, broke, or was abandoned. */
export function onBodyEnd(body: AsyncIterable<Uint8Array>, end: () => void): WholeBody {
  return watchBody(body, () => end());
}
