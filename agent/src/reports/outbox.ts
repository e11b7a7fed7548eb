import type BetterSqlite3 from 'better-sqlite3';
import { systemClock, type Clock, type OutboxStats, type SeqRange } from '@tether/shared';
import {
  openOutboxDatabase,
  prepareOutboxStatements,
  readOutboxState,
  type OutboxStatements,
} from './outbox-database.js';
import { OutboxFullError, ReportTooLargeError } from './outbox-errors.js';
import type { Accepted, NewReport, OutboxLimits, OutboxOptions, OutboxRow } from './outbox-types.js';
import { RecentRows } from './recent-rows.js';
import type { StreamFilter } from './stream-priority.js';

interface Pending {
  stream: string;
  reports: NewReport[];
  resolve(accepted: Accepted): void;
  reject(err: Error): void;
}

/**
 * The agent's durable outbox: a SQLite file (WAL, synchronous=FULL, mode 0600). `accept` resolves only after the
 * transaction holding the reports and their seqs has committed and been fsynced; concurrent calls share one
 * transaction (group commit). Rows leave only through `ack` (the hub committed them) or the overflow policy.
 */
export class Outbox {
  readonly #db: BetterSqlite3.Database;
  readonly #clock: Clock;
  readonly #limits: OutboxLimits;
  readonly #stmts: OutboxStatements;
  readonly #lastSeq: Map<string, number>;
  readonly #droppedThrough: Map<string, number>;
  readonly #recent: RecentRows;
  readonly #listeners = new Set<() => void>();
  #queue: Pending[] = [];
  #acks: SeqRange[] = [];
  #scheduled = false;
  #depth: number;
  #bytes: number;
  #dropped: number;
  #lastId: number;

  private constructor(db: BetterSqlite3.Database, limits: OutboxLimits, clock: Clock) {
    this.#db = db;
    this.#limits = limits;
    this.#clock = clock;
    this.#stmts = prepareOutboxStatements(db);
    const state = readOutboxState(db);
    this.#lastSeq = state.lastSeq;
    this.#droppedThrough = state.droppedThrough;
    this.#depth = state.depth;
    this.#bytes = state.bytes;
    this.#dropped = state.dropped;
    this.#recent = new RecentRows(state.nextId);
    this.#lastId = state.nextId - 1;
  }

  /** Opens (creating, mode 0600) the outbox file. */
  static open(options: OutboxOptions): Outbox {
    const db = openOutboxDatabase(options.file, options.nativeBinding);
    return new Outbox(db, options.limits, options.clock ?? systemClock);
  }

  /** Stores reports of one stream durably; resolves with their seqs once committed. All or nothing. */
  accept(stream: string, reports: NewReport[]): Promise<Accepted> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ stream, reports, resolve, reject });
      this.#schedule();
    });
  }

  /**
   * Up to `maxReports` rows after outbox id `afterId`, oldest first; with `filter`, only rows of the streams it
   * names (or, `exclude`, of all others). Fewer than `maxReports` means there are no more up to `lastId`.
   */
  read(afterId: number, maxReports: number, filter?: StreamFilter): OutboxRow[] {
    if (!filter || (filter.exclude && filter.streams.length === 0)) {
      // The unsent tail is usually what was just committed: serve it without a query.
      return (
        this.#recent.read(afterId, maxReports) ?? (this.#stmts.read.all(afterId, maxReports) as OutboxRow[])
      );
    }
    const listed = new Set(filter.streams);
    const keep = (stream: string): boolean => listed.has(stream) !== filter.exclude;
    const statement = filter.exclude ? this.#stmts.readNotIn : this.#stmts.readIn;
    return (
      this.#recent.read(afterId, maxReports, keep) ??
      (statement.all(afterId, JSON.stringify(filter.streams), maxReports) as OutboxRow[])
    );
  }

  /** The id of the newest report committed (0 for a new outbox). */
  get lastId(): number {
    return this.#lastId;
  }

  /** Per stream, the highest seq dropped by `drop-oldest` (the hub must not wait for those). */
  droppedThrough(stream: string): number {
    return this.#droppedThrough.get(stream) ?? 0;
  }

  /** Deletes the committed ranges (in the next group transaction). */
  ack(ranges: readonly SeqRange[]): void {
    this.#acks.push(...ranges);
    this.#schedule();
  }

  /** Calls `listener` after every commit that added reports. */
  onAccepted(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Depth, bytes, age of the oldest report and how many were dropped by `drop-oldest`. */
  stats(): OutboxStats {
    const oldest = this.#stmts.oldest.get() as { at: number } | undefined;
    return {
      depth: this.#depth,
      bytes: this.#bytes,
      oldestAgeMs: oldest ? Math.max(0, this.#clock.now() - oldest.at) : null,
      dropped: this.#dropped,
    };
  }

  /** Commits what is queued now, then closes the file. */
  close(): void {
    if (!this.#db.open) return;
    this.#flush();
    this.#db.close();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#flush());
  }

  /** One transaction for every queued request and ack (group commit). */
  #flush(): void {
    this.#scheduled = false;
    if (!this.#db.open) return;
    const queue = this.#queue;
    const acks = this.#acks;
    this.#queue = [];
    this.#acks = [];
    if (queue.length === 0 && acks.length === 0) return;
    const before = { depth: this.#depth, bytes: this.#bytes, dropped: this.#dropped };
    const seqs = new Map(this.#lastSeq);
    const outcomes: Array<Accepted | Error> = [];
    const inserted: OutboxRow[] = [];
    const droppedIds = new Set<number>();
    try {
      this.#db
        .transaction(() => {
          for (const range of acks) this.#deleteRange(range);
          for (const request of queue) outcomes.push(this.#insert(request, seqs, inserted, droppedIds));
          if (this.#dropped !== before.dropped) this.#stmts.setDropped.run(this.#dropped);
        })
        .immediate();
    } catch (err) {
      this.#depth = before.depth;
      this.#bytes = before.bytes;
      this.#dropped = before.dropped;
      for (const request of queue) request.reject(err as Error);
      return;
    }
    for (const [stream, seq] of seqs) this.#lastSeq.set(stream, seq);
    if (inserted.length > 0) this.#lastId = inserted.at(-1)!.id;
    this.#recent.remember(acks, inserted, droppedIds);
    let added = false;
    queue.forEach((request, i) => {
      const outcome = outcomes[i]!;
      if (outcome instanceof Error) request.reject(outcome);
      else {
        added = true;
        request.resolve(outcome);
      }
    });
    if (added) for (const listener of [...this.#listeners]) listener();
  }

  #deleteRange(range: SeqRange): void {
    const rows = this.#stmts.ack.all(range.stream, range.from, range.to) as { size: number }[];
    this.#depth -= rows.length;
    for (const row of rows) this.#bytes -= row.size;
  }

  #insert(
    request: Pending,
    seqs: Map<string, number>,
    inserted: OutboxRow[],
    droppedIds: Set<number>,
  ): Accepted | Error {
    const size = request.reports.reduce((sum, r) => sum + r.body.length, 0);
    const now = this.#clock.now();
    const { maxBytes, maxAgeMs, overflow } = this.#limits;
    if (size > maxBytes)
      return new ReportTooLargeError(`${size} bytes of reports exceed the outbox limit of ${maxBytes} bytes`);
    if (overflow === 'drop-oldest') this.#dropWhile(droppedIds, (oldest) => oldest.at < now - maxAgeMs);
    else {
      const oldest = this.#stmts.oldest.get() as { at: number } | undefined;
      if (oldest && oldest.at < now - maxAgeMs)
        return new OutboxFullError(`the outbox holds reports older than ${maxAgeMs} ms (overflow: refuse)`);
    }
    if (this.#bytes + size > maxBytes) {
      if (overflow === 'refuse')
        return new OutboxFullError(
          `the outbox is full: ${this.#bytes} + ${size} bytes exceed ${maxBytes} (overflow: refuse)`,
        );
      this.#dropWhile(droppedIds, () => this.#bytes + size > maxBytes);
    }
    let seq = seqs.get(request.stream) ?? 0;
    const first = seq + 1;
    for (const report of request.reports) {
      seq++;
      const info = this.#stmts.insert.run(
        request.stream,
        seq,
        now,
        report.contentType,
        report.body,
        report.body.length,
      );
      const id = Number(info.lastInsertRowid);
      inserted.push({
        id,
        stream: request.stream,
        seq,
        at: now,
        contentType: report.contentType,
        body: report.body,
      });
    }
    this.#stmts.setSeq.run(request.stream, seq);
    seqs.set(request.stream, seq);
    this.#depth += request.reports.length;
    this.#bytes += size;
    return { stream: request.stream, first, last: seq };
  }

  /** Drops the oldest reports while `more` says so (policy drop-oldest), counting them. */
  #dropWhile(droppedIds: Set<number>, more: (oldest: { at: number }) => boolean): void {
    for (;;) {
      const oldest = this.#stmts.oldest.get() as
        { id: number; stream: string; seq: number; size: number; at: number } | undefined;
      if (!oldest || !more(oldest)) return;
      this.#stmts.deleteId.run(oldest.id);
      droppedIds.add(oldest.id);
      this.#stmts.setDroppedThrough.run(oldest.seq, oldest.stream);
      this.#droppedThrough.set(oldest.stream, oldest.seq);
      this.#depth--;
      this.#bytes -= oldest.size;
      this.#dropped++;
    }
  }
}
