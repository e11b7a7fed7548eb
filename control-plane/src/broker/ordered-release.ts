import type { Clock } from '@tether/shared';

interface Held {
  /** When this entry may go (never before the entry ahead of it). */
  at: number;
  go: (error: null) => void;
}

interface Line {
  held: Held[];
}

/**
 * Lets each connection's publishes go in the order they arrived, each no sooner than its own delay: a publish the
 * rate limiter passes at once still waits behind an earlier one of the same connection that is throttled. aedes
 * authorises the next packets of a connection while one waits (a 'readable' event starts the next batch), and the
 * limiter's wait is rounded up to the millisecond, so a small publish right after a throttled 64 KiB one used to
 * overtake it: a tunnel call's DATA and END reached the hub before its RESPONSE and the call hung to its deadline.
 */
export class OrderedRelease<K extends object> {
  readonly #clock: Clock;
  readonly #lines = new WeakMap<K, Line>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /**
   * Calls `go(null)` (an aedes hook's callback) after `delayMs`, at once when 0, and never before an earlier
   * publish of `key` that still waits.
   */
  release(key: K, delayMs: number, go: (error: null) => void): void {
    const line = this.#lines.get(key);
    if (!line && delayMs <= 0) return go(null);
    const now = this.#clock.now();
    const last = line?.held[line.held.length - 1];
    const at = Math.max(now + delayMs, last?.at ?? 0);
    if (line) return void line.held.push({ at, go });
    const fresh: Line = { held: [{ at, go }] };
    this.#lines.set(key, fresh);
    this.#arm(key, fresh, at - now);
  }

  #arm(key: K, line: Line, ms: number): void {
    this.#clock.setTimeout(() => this.#drain(key, line), Math.max(0, ms));
  }

  /**
   * Lets every entry that is due go, in order, then re-arms for the next one or forgets the connection. A publish
   * released from inside `go` (aedes reads on) joins the line behind those still in it.
   */
  #drain(key: K, line: Line): void {
    try {
      for (let next = line.held[0]; next && next.at <= this.#clock.now(); next = line.held[0]) {
        line.held.shift();
        next.go(null);
      }
    } finally {
      const next = line.held[0];
      if (next) this.#arm(key, line, next.at - this.#clock.now());
      else this.#lines.delete(key);
    }
  }
}
