/**
 * Paces report bytes to at most `rate` bytes/s (`--uplink-max-rate`), allowing `burstBytes` at once (GCRA: a
 * virtual time at which the link would be free again). Pure: time is passed in, ms.
 */
export class UplinkPacer {
  readonly #rate: number;
  readonly #burstMs: number;
  #freeAt = Number.NEGATIVE_INFINITY;

  constructor(rate: number, burstBytes: number) {
    this.#rate = rate;
    this.#burstMs = (burstBytes / rate) * 1000;
  }

  /** The cap, bytes/s. */
  get rate(): number {
    return this.#rate;
  }

  /** Ms until the next batch may go (0: now). */
  wait(now: number): number {
    return Math.max(0, Math.ceil(this.#freeAt - this.#burstMs - now));
  }

  /** Charges `bytes` sent at `now`. */
  charge(bytes: number, now: number): void {
    this.#freeAt = Math.max(this.#freeAt, now) + (bytes / this.#rate) * 1000;
  }
}
