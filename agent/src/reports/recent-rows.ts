import type { SeqRange } from '@tether/shared';
import type { OutboxRow } from './outbox-types.js';

/** How many committed, unacknowledged rows `read` may serve from memory. */
const RECENT_ROWS = 4096;

/**
 * The outbox's unsent tail in memory: the rows this process committed and has not deleted, in id order, at most
 * RECENT_ROWS of them. Every committed row with id >= `from` is here, so reads past it need no query.
 */
export class RecentRows {
  #rows: OutboxRow[] = [];
  #from: number;

  /** `from`: the first id this process may commit (one past the file's highest id at open). */
  constructor(from: number) {
    this.#from = from;
  }

  /**
   * Up to `maxReports` rows after id `afterId` (of the streams `keep` accepts) from memory, or undefined when older
   * rows are asked for.
   */
  read(afterId: number, maxReports: number, keep?: (stream: string) => boolean): OutboxRow[] | undefined {
    if (afterId + 1 < this.#from) return undefined;
    const recent = this.#rows;
    let i = 0;
    while (i < recent.length && recent[i]!.id <= afterId) i++;
    if (!keep) return recent.slice(i, i + maxReports);
    const out: OutboxRow[] = [];
    for (; i < recent.length && out.length < maxReports; i++)
      if (keep(recent[i]!.stream)) out.push(recent[i]!);
    return out;
  }

  /** Follows one committed transaction: drops the acknowledged and dropped rows, adds the inserted ones. */
  remember(acks: readonly SeqRange[], inserted: readonly OutboxRow[], droppedIds: ReadonlySet<number>): void {
    let recent = this.#rows;
    if (acks.length > 0)
      recent = recent.filter(
        (row) => !acks.some((r) => r.stream === row.stream && row.seq >= r.from && row.seq <= r.to),
      );
    recent = recent.concat(inserted);
    if (droppedIds.size > 0) recent = recent.filter((row) => !droppedIds.has(row.id));
    if (recent.length > RECENT_ROWS) {
      recent = recent.slice(recent.length - RECENT_ROWS);
      this.#from = recent[0]!.id;
    }
    this.#rows = recent;
  }
}
