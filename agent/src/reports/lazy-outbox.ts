import { TooBusyError, type OutboxStats, type SeqRange } from '@tether/shared';
import type { Outbox } from './outbox.js';
import type { Accepted, NewReport, OutboxRow } from './outbox-types.js';
import type { StreamFilter } from './stream-priority.js';

/** What the agent asks of its outbox (the forwarder, the local API, the status): `Outbox`'s public face. */
export type ReportOutbox = Pick<
  Outbox,
  'accept' | 'read' | 'lastId' | 'droppedThrough' | 'ack' | 'onAccepted' | 'stats' | 'close'
>;

const EMPTY: OutboxStats = { depth: 0, bytes: 0, oldestAgeMs: null, dropped: 0 };

/**
 * The agent's outbox, opened on first use: an agent never sent a report holds no SQLite (its addon, its page cache
 * and the node code they touch: ~6 MiB of an idle agent's RSS, pnpm bench:footprint). It opens at once when a
 * previous run left an outbox file (reports may be waiting), else on the first `accept`. Until then it is an
 * empty outbox: nothing to read, nothing to ack.
 */
export class LazyOutbox implements ReportOutbox {
  readonly #open: () => Promise<Outbox>;
  readonly #listeners = new Set<() => void>();
  #outbox: Outbox | undefined;
  #opening: Promise<Outbox> | undefined;
  #closed = false;

  /** `open` opens the real outbox; it is called at most once. */
  constructor(open: () => Promise<Outbox>) {
    this.#open = open;
  }

  /** Whether the SQLite outbox is open (a report arrived, or a previous run left one). */
  get opened(): boolean {
    return this.#outbox !== undefined;
  }

  /** Opens the real outbox now (a previous run left its file: reports may be waiting to be sent). */
  async openNow(): Promise<void> {
    await this.#get();
  }

  /** Stores reports durably, opening the outbox first if this is the first report. */
  async accept(stream: string, reports: NewReport[]): Promise<Accepted> {
    return (await this.#get()).accept(stream, reports);
  }

  /** Rows after `afterId` (none before the outbox opens). */
  read(afterId: number, maxReports: number, filter?: StreamFilter): OutboxRow[] {
    return this.#outbox?.read(afterId, maxReports, filter) ?? [];
  }

  /** The id of the newest report committed (0 before the outbox opens). */
  get lastId(): number {
    return this.#outbox?.lastId ?? 0;
  }

  /** Per stream, the highest seq dropped by `drop-oldest`. */
  droppedThrough(stream: string): number {
    return this.#outbox?.droppedThrough(stream) ?? 0;
  }

  /** Deletes committed ranges; before the outbox opens nothing was sent, so there is nothing to delete. */
  ack(ranges: readonly SeqRange[]): void {
    this.#outbox?.ack(ranges);
  }

  /** Calls `listener` after every commit that added reports, whenever the outbox opens. */
  onAccepted(listener: () => void): () => void {
    this.#listeners.add(listener);
    const off = this.#outbox?.onAccepted(listener);
    return () => {
      this.#listeners.delete(listener);
      off?.();
    };
  }

  /** Depth, bytes, age of the oldest report, dropped (all zero before the outbox opens). */
  stats(): OutboxStats {
    return this.#outbox?.stats() ?? EMPTY;
  }

  /** Commits what is queued and closes the file, if it was opened; an open in flight closes when done. */
  close(): void {
    this.#closed = true;
    this.#outbox?.close();
  }

  #get(): Promise<Outbox> {
    this.#opening ??= this.#open().then((outbox) => {
      if (this.#closed) {
        outbox.close();
        throw new TooBusyError(
          'the agent is stopping and its outbox is closed: post the reports again once it runs',
        );
      }
      for (const listener of this.#listeners) outbox.onAccepted(listener);
      this.#outbox = outbox;
      return outbox;
    });
    return this.#opening;
  }
}
