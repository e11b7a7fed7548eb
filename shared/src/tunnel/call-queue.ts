import type { Clock } from '../clock.js';
import { TimeoutError } from '../errors.js';
import { CallCancelledError } from './call-errors.js';
import type { CancelSignal } from '../cancellation.js';

interface Waiter {
  start: () => void;
  reject: (err: Error) => void;
}

/** Calls waiting for a free slot to a peer, first come first served; each leaves at its deadline or abort. */
export class CallQueue {
  readonly #clock: Clock;
  readonly #waiters: Waiter[] = [];

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Calls waiting now. */
  get length(): number {
    return this.#waiters.length;
  }

  /** Resolves when a slot is handed over; rejects with TimeoutError at `deadline` or CallCancelledError on abort. */
  wait(deadline: number, signal: CancelSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const clock = this.#clock;
      const waiter: Waiter = {
        start: () => {
          cleanup();
          resolve();
        },
        reject: (err: Error) => {
          cleanup();
          reject(err);
        },
      };
      const drop = (err: Error): void => {
        const at = this.#waiters.indexOf(waiter);
        if (at >= 0) this.#waiters.splice(at, 1);
        waiter.reject(err);
      };
      const onAbort = (): void => drop(new CallCancelledError(undefined, { cause: signal?.reason }));
      const timer = clock.setTimeout(
        () => drop(new TimeoutError('deadline passed while queued')),
        deadline - clock.now(),
      );
      const cleanup = (): void => {
        clock.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** A slot freed: the longest waiting call goes. */
  startNext(): void {
    this.#waiters.shift()?.start();
  }

  /** Rejects every waiting call with `error`. */
  failAll(error: Error): void {
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
  }
}
