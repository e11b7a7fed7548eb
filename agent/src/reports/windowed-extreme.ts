/** Which extreme a WindowedExtreme keeps. */
export type Extreme = 'max' | 'min';

/**
 * The exact maximum (or minimum) of the samples of the last `windowMs`, relative to the newest sample (pure; time
 * is passed in). Samples that can never be the answer again are dropped at once (a monotonic queue), so memory is
 * the number of samples in the window at worst and usually a handful. Without new samples the last answer stays.
 */
export class WindowedExtreme {
  readonly #windowMs: number;
  readonly #better: (a: number, b: number) => boolean;
  #samples: Array<{ at: number; value: number }> = [];

  constructor(extreme: Extreme, windowMs: number) {
    this.#windowMs = windowMs;
    this.#better = extreme === 'max' ? (a, b) => a >= b : (a, b) => a <= b;
  }

  /** The extreme of the window, or null before the first sample. */
  get value(): number | null {
    return this.#samples[0]?.value ?? null;
  }

  /** Adds a sample taken at `at` (ms, not before the previous one). */
  add(value: number, at: number): void {
    const samples = this.#samples;
    while (samples.length > 0 && this.#better(value, samples.at(-1)!.value)) samples.pop();
    samples.push({ at, value });
    let expired = 0;
    while (expired < samples.length - 1 && samples[expired]!.at < at - this.#windowMs) expired++;
    if (expired > 0) this.#samples = samples.slice(expired);
  }

  /** Forgets every sample. */
  clear(): void {
    this.#samples = [];
  }
}
