import type { Redis } from 'ioredis';
import { ClusterUnavailableError } from '@tether/shared';
import type { UniqueClaims } from '../agents/registration/unique-claims.js';

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
