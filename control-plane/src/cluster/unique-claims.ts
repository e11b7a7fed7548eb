import type { Redis } from 'ioredis';
import { ClusterUnavailableError } from '@tether/shared';

/** Decides writes that must be unique across replicas: exactly one claim of a key ever succeeds. */
export interface UniqueClaims {
  /** True for the first claim of `key` cluster-wide; false when it was claimed before. */
  claim(key: string): Promise<boolean>;
  /** Releases a claim whose write then failed (so a valid retry can still win). */
  release(key: string): Promise<void>;
}

/** Claims as Redis `SET NX` keys under `tether:claim:`; 503 while Redis is unreachable. */
export class RedisClaims implements UniqueClaims {
  readonly #redis: Redis;

  constructor(redis: Redis) {
    this.#redis = redis;
  }

  async claim(key: string): Promise<boolean> {
    if (this.#redis.status !== 'ready') throw new ClusterUnavailableError();
    return (await this.#redis.set(`tether:claim:${key}`, '1', 'NX')) === 'OK';
  }

  async release(key: string): Promise<void> {
    await this.#redis.del(`tether:claim:${key}`).catch(() => undefined);
  }
}
