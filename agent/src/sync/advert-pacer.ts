import { TokenBucket, type Clock } from '@tether/shared';

/** How adverts are paced: changes within `coalesceMs` go as one delta, and at most `perSecond` messages go (burst `burst`). */
export interface AdvertPacing {
  /** Changes are gathered this long before a delta goes (0: at once, when the bucket allows). */
  coalesceMs: number;
  perSecond: number;
  burst: number;
}

/**
 * Default pacing: 5 ms of coalescing, 10 advert messages a second with bursts of 50: half the hub's default
 * limit on an agent's control messages (20/s, burst 200), so a flapping registry is never throttled by the hub.
 * go-micro's router batched route events for 5 s.
 */
export const ADVERT_PACING: AdvertPacing = { coalesceMs: 5, perSecond: 10, burst: 50 };

/**
 * Paces the advertiser's deltas: a change asks for a flush; flushes asked for while one is pending coalesce into
 * it; a flush waits for the coalescing delay and for a token. What a flush or a snapshot sends is charged (parts
 * count one each), into debt if need be, so a big snapshot delays the next delta rather than flooding the hub.
 */
export class AdvertPacer {
  readonly #pacing: AdvertPacing;
  readonly #clock: Clock;
  readonly #bucket: TokenBucket;
  readonly #flush: () => number;
  #timer: unknown;

  /** `flush` sends what changed and returns how many messages it sent. */
  constructor(pacing: AdvertPacing, clock: Clock, flush: () => number) {
    this.#pacing = pacing;
    this.#clock = clock;
    this.#bucket = new TokenBucket({ perSecond: pacing.perSecond, burst: pacing.burst }, clock);
    this.#flush = flush;
  }

  /** Something changed: flush after the coalescing delay, once a token is there (at once with no delay). */
  request(): void {
    if (this.#timer !== undefined) return;
    const tokens = this.#bucket.tokens;
    const waitMs = tokens >= 1 ? 0 : Math.ceil(((1 - tokens) / this.#pacing.perSecond) * 1000);
    const delay = Math.max(this.#pacing.coalesceMs, waitMs);
    if (delay === 0) return this.#run();
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#run();
    }, delay);
  }

  /** Charges messages sent outside a flush (snapshot parts). */
  spend(messages: number): void {
    if (messages > 0) this.#bucket.take(messages);
  }

  /** Drops a pending flush (the link went down: the next snapshot covers it). */
  cancel(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #run(): void {
    this.spend(this.#flush());
  }
}
