/**
 * A weighted quantile of the recent samples: the last `maxSamples` of them within `windowMs` of the newest (pure;
 * time is passed in, ms). The answer is the least sample value at or below which at least `q` of the kept weight
 * lies. Without new samples the last answer stays.
 */
export class WindowedQuantile {
  readonly #q: number;
  readonly #windowMs: number;
  readonly #maxSamples: number;
  #samples: Array<{ at: number; value: number; weight: number }> = [];
  #value: number | null = null;

  /** `q` in 0..1. */
  constructor(q: number, windowMs: number, maxSamples: number) {
    this.#q = q;
    this.#windowMs = windowMs;
    this.#maxSamples = maxSamples;
  }

  /** The quantile of the samples kept, or null before the first one. */
  get value(): number | null {
    return this.#value;
  }

  /** Adds a sample taken at `at` (ms, not before the previous one) with a positive `weight`. */
  add(value: number, at: number, weight = 1): void {
    this.#samples = this.#samples
      .filter((s) => s.at >= at - this.#windowMs)
      .concat({ at, value, weight })
      .slice(-this.#maxSamples);
    const sorted = [...this.#samples].sort((a, b) => a.value - b.value);
    const total = sorted.reduce((n, s) => n + s.weight, 0);
    let below = 0;
    for (const s of sorted) {
      below += s.weight;
      this.#value = s.value;
      if (below >= this.#q * total) break;
    }
  }
}
