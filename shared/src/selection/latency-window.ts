/** The latency percentiles an instance reports, in ms (null before the first sample). */
export interface LatencySummary {
  p50: number | null;
  p99: number | null;
}

/** The last `size` latency samples in a ring buffer, for p50/p99 over recent calls. */
export class LatencyWindow {
  readonly #samples: number[] = [];
  readonly #size: number;
  #next = 0;

  constructor(size = 256) {
    this.#size = Math.max(1, size);
  }

  /** Records one sample (negative values count as 0). */
  add(ms: number): void {
    const v = Math.max(0, ms);
    if (this.#samples.length < this.#size) this.#samples.push(v);
    else this.#samples[this.#next] = v;
    this.#next = (this.#next + 1) % this.#size;
  }

  /** How many samples the window holds. */
  get count(): number {
    return this.#samples.length;
  }

  /** Nearest-rank percentiles over the window. */
  summary(): LatencySummary {
    if (this.#samples.length === 0) return { p50: null, p99: null };
    const sorted = [...this.#samples].sort((a, b) => a - b);
    const rank = (p: number): number => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? 0;
    return { p50: rank(0.5), p99: rank(0.99) };
  }
}
