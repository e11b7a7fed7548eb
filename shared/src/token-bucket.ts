import type { Clock } from './clock.js';

/** A rate: `perSecond` tokens added per second, at most `burst` held. */
export interface RateSpec {
  perSecond: number;
  burst: number;
}

/**
 * A token bucket on an injected clock. `take` may run the balance into debt (down to any depth) and says how
 * long the caller would have to wait for the debt to be paid back: 0 when the tokens were there.
 */
export class TokenBucket {
  readonly #rate: RateSpec;
  readonly #clock: Pick<Clock, 'now'>;
  #tokens: number;
  #at: number;

  constructor(rate: RateSpec, clock: Pick<Clock, 'now'>) {
    this.#rate = rate;
    this.#clock = clock;
    this.#tokens = rate.burst;
    this.#at = clock.now();
  }

  /** The balance now (negative: in debt). */
  get tokens(): number {
    this.#refill();
    return this.#tokens;
  }

  /** True when the bucket is full again (nothing to remember about its owner). */
  get full(): boolean {
    return this.tokens >= this.#rate.burst;
  }

  /** Takes `cost` tokens if they are all there; false (nothing taken) otherwise. */
  tryTake(cost = 1): boolean {
    this.#refill();
    if (this.#tokens < cost) return false;
    this.#tokens -= cost;
    return true;
  }

  /** Takes `cost` tokens, into debt if need be; returns the ms until the balance is back at zero. */
  take(cost = 1): number {
    this.#refill();
    this.#tokens -= cost;
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens / this.#rate.perSecond) * 1000);
  }

  /** Gives `cost` tokens back (a refused action is not charged). */
  refund(cost = 1): void {
    this.#tokens = Math.min(this.#rate.burst, this.#tokens + cost);
  }

  #refill(): void {
    const now = this.#clock.now();
    const elapsed = Math.max(0, now - this.#at);
    this.#at = now;
    this.#tokens = Math.min(this.#rate.burst, this.#tokens + (elapsed / 1000) * this.#rate.perSecond);
  }
}
