import { chmodSync, closeSync, openSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { systemClock, type Clock, type OutboxStats, type SeqRange } from '@tether/shared';
import { OutboxFullError, ReportTooLargeError } from './outbox-errors.js';

/** What the outbox does when a report would break its limits. */
export type OverflowPolicy = 'refuse' | 'drop-oldest';

/** The outbox's limits: total body bytes, age of the oldest report, and what to do beyond them. */
export interface OutboxLimits {
  maxBytes: number;
  maxAgeMs: number;
  overflow: OverflowPolicy;
}

/**
 * One report handed to the outbox: its content type and body bytes (JSON as UTF-8 text). The outbox keeps `body`
 * (it serves unsent rows from memory): do not modify it after `accept`.
 */
export interface NewReport {
  contentType: string;
  body: Buffer;
}

/** One report in the outbox, with its durable per-stream seq. */
export interface OutboxRow {
  id: number;
  stream: string;
  seq: number;
  at: number;
  contentType: string;
  body: Buffer;
}

/** What `GET /v1/status` shows of the outbox (and digests tell the hub). */
export type { OutboxStats };

/** The seqs one accepted request got. */
export interface Accepted {
  stream: string;
  first: number;
  last: number;
}

/** Options of `Outbox.open`. */
export interface OutboxOptions {
  file: string;
  limits: OutboxLimits;
  clock?: Clock;
  /** Path of better-sqlite3's native addon (the bundle ships it beside itself). */
  nativeBinding?: string;
}

interface Pending {
  stream: string;
  reports: NewReport[];
  resolve(accepted: Accepted): void;
  reject(err: Error): void;
}

/** How many committed, unacknowledged rows `read` may serve from memory. */
const RECENT_ROWS = 4096;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS reports (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    stream       TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    at           INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    body         BLOB NOT NULL,
    size         INTEGER NOT NULL
  ) STRICT;
  CREATE UNIQUE INDEX IF NOT EXISTS reports_stream_seq ON reports (stream, seq);
  CREATE TABLE IF NOT EXISTS streams (
    stream TEXT PRIMARY KEY, last_seq INTEGER NOT NULL, dropped_through INTEGER NOT NULL DEFAULT 0
  ) STRICT;
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;
`;

/**
 * The agent's durable outbox: a SQLite file (WAL, synchronous=FULL, mode 0600). `accept` resolves only after the
 * transaction holding the reports and their seqs has committed and been fsynced; concurrent calls share one
 * transaction (group commit). Rows leave only through `ack` (the hub committed them) or the overflow policy.
 */
export class Outbox {
  readonly #db: BetterSqlite3.Database;
  readonly #clock: Clock;
  readonly #limits: OutboxLimits;
  readonly #lastSeq = new Map<string, number>();
  readonly #droppedThrough = new Map<string, number>();
  readonly #listeners = new Set<() => void>();
  #queue: Pending[] = [];
  #acks: SeqRange[] = [];
  #scheduled = false;
  #depth = 0;
  #bytes = 0;
  #dropped = 0;
  /** Rows this process committed and has not deleted, in id order; every row with id >= #recentFrom is here. */
  #recent: OutboxRow[] = [];
  #recentFrom: number;
  readonly #stmts;

  private constructor(db: BetterSqlite3.Database, limits: OutboxLimits, clock: Clock) {
    this.#db = db;
    this.#limits = limits;
    this.#clock = clock;
    this.#stmts = {
      insert: db.prepare(
        'INSERT INTO reports (stream, seq, at, content_type, body, size) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      setSeq: db.prepare(
        'INSERT INTO streams (stream, last_seq) VALUES (?, ?) ON CONFLICT (stream) DO UPDATE SET last_seq = excluded.last_seq',
      ),
      oldest: db.prepare('SELECT id, stream, seq, size, at FROM reports ORDER BY id LIMIT 1'),
      setDroppedThrough: db.prepare('UPDATE streams SET dropped_through = ? WHERE stream = ?'),
      deleteId: db.prepare('DELETE FROM reports WHERE id = ?'),
      read: db.prepare(
        'SELECT id, stream, seq, at, content_type AS contentType, body FROM reports WHERE id > ? ORDER BY id LIMIT ?',
      ),
      ack: db.prepare('DELETE FROM reports WHERE stream = ? AND seq BETWEEN ? AND ? RETURNING size'),
      setDropped: db.prepare(
        "INSERT INTO meta (key, value) VALUES ('dropped', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      ),
    };
    for (const row of db
      .prepare('SELECT stream, last_seq AS seq, dropped_through AS dropped FROM streams')
      .all() as { stream: string; seq: number; dropped: number }[]) {
      this.#lastSeq.set(row.stream, row.seq);
      if (row.dropped > 0) this.#droppedThrough.set(row.stream, row.dropped);
    }
    const totals = db.prepare('SELECT count(*) AS n, coalesce(sum(size), 0) AS b FROM reports').get() as {
      n: number;
      b: number;
    };
    this.#depth = totals.n;
    this.#bytes = totals.b;
    const dropped = db.prepare("SELECT value FROM meta WHERE key = 'dropped'").get() as
      { value: number } | undefined;
    this.#dropped = dropped?.value ?? 0;
    const maxId = db.prepare('SELECT coalesce(max(id), 0) AS id FROM reports').get() as { id: number };
    this.#recentFrom = maxId.id + 1;
  }

  /** Opens (creating, mode 0600) the outbox file. */
  static open(options: OutboxOptions): Outbox {
    closeSync(openSync(options.file, 'a', 0o600));
    chmodSync(options.file, 0o600);
    const db = new BetterSqlite3(
      options.file,
      options.nativeBinding ? { nativeBinding: options.nativeBinding } : {},
    );
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 5000');
      db.exec(SCHEMA);
    } catch (err) {
      db.close();
      throw err;
    }
    return new Outbox(db, options.limits, options.clock ?? systemClock);
  }

  /** Stores reports of one stream durably; resolves with their seqs once committed. All or nothing. */
  accept(stream: string, reports: NewReport[]): Promise<Accepted> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ stream, reports, resolve, reject });
      this.#schedule();
    });
  }

  /** Up to `maxReports` rows after outbox id `afterId`, oldest first. */
  read(afterId: number, maxReports: number): OutboxRow[] {
    // The unsent tail is usually what was just committed: serve it without a query.
    if (afterId + 1 >= this.#recentFrom) {
      const recent = this.#recent;
      let i = 0;
      while (i < recent.length && recent[i]!.id <= afterId) i++;
      return recent.slice(i, i + maxReports);
    }
    return this.#stmts.read.all(afterId, maxReports) as OutboxRow[];
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
    this.#remember(acks, inserted, droppedIds);
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

  /** Keeps #recent equal to the committed rows with id >= #recentFrom, at most RECENT_ROWS of them. */
  #remember(
    acks: readonly SeqRange[],
    inserted: readonly OutboxRow[],
    droppedIds: ReadonlySet<number>,
  ): void {
    let recent = this.#recent;
    if (acks.length > 0)
      recent = recent.filter(
        (row) => !acks.some((r) => r.stream === row.stream && row.seq >= r.from && row.seq <= r.to),
      );
    recent = recent.concat(inserted);
    if (droppedIds.size > 0) recent = recent.filter((row) => !droppedIds.has(row.id));
    if (recent.length > RECENT_ROWS) {
      recent = recent.slice(recent.length - RECENT_ROWS);
      this.#recentFrom = recent[0]!.id;
    }
    this.#recent = recent;
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
