import { TokenBucket, type Clock, type RateSpec } from '@tether/shared';

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
