/** One batch sent and not yet acknowledged. */
export interface InFlightBatch {
  batch: string;
  /** What was published (kept to resend exactly this batch when its ack is overdue). */
  payload: Buffer | string;
  /** Its size on the wire. */
  bytes: number;
  reports: number;
  sentAt: number;
  /** When its ack is overdue (epoch ms). */
  deadline: number;
  /** How many times it was sent again. */
  resends: number;
}

/** Bookkeeping of the batches in flight (pure): their bytes, which are overdue, which an ack settles. */
export class InFlightWindow {
  readonly #batches = new Map<string, InFlightBatch>();
  #bytes = 0;

  /** Batches in flight now. */
  get count(): number {
    return this.#batches.size;
  }

  /** Their bytes on the wire. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Records a sent batch. */
  add(batch: InFlightBatch): void {
    this.#batches.set(batch.batch, batch);
    this.#bytes += batch.bytes;
  }

  /** Settles a batch by its ack: the batch, or undefined when it was not in flight (a late ack, an earlier link). */
  settle(batch: string): InFlightBatch | undefined {
    const found = this.#batches.get(batch);
    if (!found) return undefined;
    this.#batches.delete(batch);
    this.#bytes -= found.bytes;
    return found;
  }

  /** The batches whose deadline has passed at `now`, oldest first. */
  overdue(now: number): InFlightBatch[] {
    return [...this.#batches.values()].filter((b) => b.deadline <= now);
  }

  /** The earliest deadline in flight, or undefined when nothing is. */
  get nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const b of this.#batches.values()) if (next === undefined || b.deadline < next) next = b.deadline;
    return next;
  }

  /** Forgets every batch (the link dropped, or the hub needs them again in order: they will be sent again). */
  clear(): void {
    this.#batches.clear();
    this.#bytes = 0;
  }
}
