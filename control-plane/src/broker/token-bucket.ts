import type { Clock } from '@tether/shared';

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

/**
 * One token bucket per key (a source address, an agent id), bounded: full buckets are forgotten when the map
 * reaches `maxKeys`, and if every bucket is busy, new keys share one overflow bucket.
 */
export class KeyedBuckets {
  readonly #rate: RateSpec;
  readonly #clock: Pick<Clock, 'now'>;
  readonly #maxKeys: number;
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #overflow: TokenBucket;

  constructor(rate: RateSpec, clock: Pick<Clock, 'now'>, maxKeys = 10_000) {
    this.#rate = rate;
    this.#clock = clock;
    this.#maxKeys = maxKeys;
    this.#overflow = new TokenBucket(rate, clock);
  }

  /** How many keys are remembered. */
  get size(): number {
    return this.#buckets.size;
  }

  /** The bucket of `key`, created full on first use. */
  bucket(key: string): TokenBucket {
    let bucket = this.#buckets.get(key);
    if (bucket) return bucket;
    if (this.#buckets.size >= this.#maxKeys) this.#prune();
    if (this.#buckets.size >= this.#maxKeys) return this.#overflow;
    bucket = new TokenBucket(this.#rate, this.#clock);
    this.#buckets.set(key, bucket);
    return bucket;
  }

  /** Forgets the bucket of `key`. */
  delete(key: string): void {
    this.#buckets.delete(key);
  }

  #prune(): void {
    for (const [key, bucket] of this.#buckets) if (bucket.full) this.#buckets.delete(key);
  }
}
