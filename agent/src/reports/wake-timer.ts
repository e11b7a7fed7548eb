import type { Clock } from '@tether/shared';

/** One timer on an injected clock that fires at the earliest of the times it was asked for, then forgets them. */
export class WakeTimer {
  readonly #clock: Clock;
  readonly #fire: () => void;
  #handle: unknown;
  #at: number | undefined;

  constructor(clock: Clock, fire: () => void) {
    this.#clock = clock;
    this.#fire = fire;
  }

  /** Makes sure the timer fires no later than `at` (epoch ms; at least 1 ms from now). */
  wakeBy(at: number): void {
    const now = this.#clock.now();
    const when = Math.max(now + 1, at);
    if (this.#at !== undefined && this.#at <= when) return;
    this.cancel();
    this.#at = when;
    this.#handle = this.#clock.setTimeout(() => {
      this.#handle = undefined;
      this.#at = undefined;
      this.#fire();
    }, when - now);
  }

  /** Cancels the pending wake-up, if any. */
  cancel(): void {
    if (this.#handle !== undefined) this.#clock.clearTimeout(this.#handle);
    this.#handle = undefined;
    this.#at = undefined;
  }
}
