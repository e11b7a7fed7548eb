/**
 * When a batch of queued writes is flushed: `windowMs` after the first write queued, or on the next turn of the
 * event loop once the batch is full. Shared by the group commits (route sync's and report ingest's).
 */
export class FlushWindow {
  readonly #flush: () => void;
  readonly #windowMs: number;
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;

  constructor(flush: () => void, windowMs: number) {
    this.#flush = flush;
    this.#windowMs = windowMs;
  }

  /** Something was queued: flush after the window, or at once (next turn) when `full`. */
  queued(full: boolean): void {
    if (this.#immediate) return;
    if (full) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#immediate = setImmediate(this.#flush);
    } else this.#timer ??= setTimeout(this.#flush, this.#windowMs);
  }

  /** The flush is starting: forget the scheduled one. */
  flushing(): void {
    clearTimeout(this.#timer);
    clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
  }
}
