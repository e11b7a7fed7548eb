import type { Clock } from '@tether/shared';

interface Held {
  /** When this entry may go (never before the entry ahead of it). */
  at: number;
  go: (error: null) => void;
}

/** One lane's waiting publishes, in order; `head` is the first still waiting (the array is compacted now and then). */
interface Line {
  held: Array<Held | undefined>;
  head: number;
}

/**
 * Lets each connection's publishes on one topic (its lane) go in the order they arrived, each no sooner than its
 * own delay: a publish the rate limiter passes at once still waits behind an earlier one on the same lane that is
 * throttled. aedes authorises the next packets of a connection while one waits (a 'readable' event starts the
 * next batch), and the limiter's wait is rounded up to the millisecond, so a small publish right after a throttled
 * 64 KiB one used to overtake it: a tunnel call's DATA and END reached the hub before its RESPONSE and the call hung
 * to its deadline. Lanes are per topic (MQTT orders a client's messages per topic): a throttled advert does not hold
 * up tunnel frames.
 */
export class OrderedRelease<K extends object> {
  readonly #clock: Clock;
  readonly #lines = new WeakMap<K, Map<string, Line>>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /**
   * Calls `go(null)` (an aedes hook's callback) after `delayMs`, at once when 0, and never before an earlier
   * publish of `key` on `lane` that still waits.
   */
  release(key: K, lane: string, delayMs: number, go: (error: null) => void): void {
    const lanes = this.#lines.get(key);
    const line = lanes?.get(lane);
    if (!line && delayMs <= 0) return go(null);
    const now = this.#clock.now();
    if (line) {
      const last = line.held[line.held.length - 1]!;
      return void line.held.push({ at: Math.max(now + delayMs, last.at), go });
    }
    const fresh: Line = { held: [{ at: now + delayMs, go }], head: 0 };
    if (lanes) lanes.set(lane, fresh);
    else this.#lines.set(key, new Map([[lane, fresh]]));
    this.#arm(key, lane, fresh, delayMs);
  }

  #arm(key: K, lane: string, line: Line, ms: number): void {
    this.#clock.setTimeout(() => this.#drain(key, lane, line), Math.max(0, ms));
  }

  /**
   * The timer armed for the first entry fired: it and every entry due by then go, in order (measured from the
   * entry's own due time as well as the clock's now, so a wall clock stepped back cannot hold the line); then
   * re-arms for the next one or forgets the lane. A publish released from inside `go` (aedes reads on) joins the
   * line behind those still in it.
   */
  #drain(key: K, lane: string, line: Line): void {
    const base = line.held[line.head]?.at ?? -Infinity;
    let next: Held | undefined;
    try {
      for (next = line.held[line.head]; next; next = line.held[line.head]) {
        if (next.at > base && next.at > this.#clock.now()) break;
        line.held[line.head++] = undefined;
        next.go(null);
      }
    } finally {
      next = line.held[line.head];
      if (next) {
        if (line.head > 64 && line.head * 2 > line.held.length) {
          line.held.splice(0, line.head);
          line.head = 0;
        }
        this.#arm(key, lane, line, next.at - Math.max(base, this.#clock.now()));
      } else {
        const lanes = this.#lines.get(key);
        lanes?.delete(lane);
        if (lanes?.size === 0) this.#lines.delete(key);
      }
    }
  }
}
