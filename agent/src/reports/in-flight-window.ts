/** One batch sent and not yet acknowledged. */
export interface InFlightBatch {
  batch: string;
  sentAt: number;
  reports: number;
}

/** Bookkeeping of the batches in flight (pure): how many, which are overdue, which an ack settles. */
export class InFlightWindow {
  readonly #size: number;
  readonly #batches = new Map<string, InFlightBatch>();

  constructor(size: number) {
    this.#size = size;
  }

  /** Batches in flight now. */
  get count(): number {
    return this.#batches.size;
  }

  /** True when another batch may be sent. */
  get hasRoom(): boolean {
    return this.#batches.size < this.#size;
  }

  /** Records a sent batch. */
  add(batch: InFlightBatch): void {
    this.#batches.set(batch.batch, batch);
  }

  /** Settles a batch by its ack: the batch, or undefined when it was not in flight (a late ack, an earlier link). */
  settle(batch: string): InFlightBatch | undefined {
    const found = this.#batches.get(batch);
    this.#batches.delete(batch);
    return found;
  }

  /** True when some batch has waited longer than `timeoutMs` for its ack. */
  overdue(now: number, timeoutMs: number): boolean {
    for (const b of this.#batches.values()) if (now - b.sentAt > timeoutMs) return true;
    return false;
  }

  /** Forgets every batch (the link dropped: they will be sent again). */
  clear(): void {
    this.#batches.clear();
  }
}
