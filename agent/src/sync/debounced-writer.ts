import { systemClock, type Clock } from '@tether/shared';
import { writeFileAtomic } from '../state/atomic-write.js';

/** Options of a DebouncedWriter. */
export interface DebouncedWriterOptions {
  file: string;
  /** Produces the file's content at write time, so bursts of changes cost one write. */
  render: () => string;
  delayMs?: number;
  clock?: Clock;
  onError?: (err: Error) => void;
}

/** Coalesces many "the data changed" calls into one atomic write after a quiet `delayMs` (default 200 ms). */
export class DebouncedWriter {
  readonly #opts: DebouncedWriterOptions;
  readonly #clock: Clock;
  #timer: unknown;
  #writing: Promise<void> = Promise.resolve();

  constructor(options: DebouncedWriterOptions) {
    this.#opts = options;
    this.#clock = options.clock ?? systemClock;
  }

  /** Marks the data dirty; the write happens once the changes pause. */
  schedule(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      void this.#write();
    }, this.#opts.delayMs ?? 200);
  }

  /** Writes now if a write is pending, and waits for any write in progress. */
  async flush(): Promise<void> {
    if (this.#timer !== undefined) {
      this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
      await this.#write();
    }
    await this.#writing;
  }

  #write(): Promise<void> {
    this.#writing = this.#writing
      .then(() => writeFileAtomic(this.#opts.file, this.#opts.render()))
      .catch((err: Error) => this.#opts.onError?.(err));
    return this.#writing;
  }
}
