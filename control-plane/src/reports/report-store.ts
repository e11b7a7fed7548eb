import type BetterSqlite3 from 'better-sqlite3';
import { ackRanges, type SeqRange, type WireReport } from '@tether/shared';

/** One stored report as read back. */
export interface StoredReport {
  id: number;
  agent: string;
  stream: string;
  seq: number;
  at: number;
  receivedAt: number;
  contentType: string;
  body: Buffer;
}

/** Per (agent, stream): how many reports are stored, the last seq and when it arrived. */
export interface StreamStats {
  agent: string;
  stream: string;
  count: number;
  bytes: number;
  lastSeq: number;
  lastAt: number;
  lastReceivedAt: number;
}

/** A filter of `query`: every field optional; `afterId` is the decoded cursor. */
export interface ReportQuery {
  agent?: string;
  stream?: string;
  since?: number;
  until?: number;
  afterId?: number;
  limit: number;
}

/** One agent's batch to commit. */
export interface IncomingBatch {
  agent: string;
  reports: readonly WireReport[];
}

/** The outcome of committing batches: per batch the ranges to acknowledge, and the rows newly stored. */
export interface CommitResult {
  acks: SeqRange[][];
  stored: StoredReport[];
  duplicates: number;
}

/**
 * The reports table: exactly once by (agent, stream, seq) via UNIQUE + INSERT OR IGNORE, and no report at or
 * below a stream's `floor_seq` (what retention deleted) ever comes back. Synchronous, like better-sqlite3.
 */
export class ReportStore {
  readonly #db: BetterSqlite3.Database;
  readonly #stmts;

  constructor(db: BetterSqlite3.Database) {
    this.#db = db;
    this.#stmts = {
      insert: db.prepare(
        `INSERT INTO reports (agent, stream, seq, at, received_at, content_type, body)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      ),
      floor: db.prepare('SELECT floor_seq AS floor FROM report_streams WHERE agent = ? AND stream = ?'),
      upsertStream: db.prepare(
        `INSERT INTO report_streams (agent, stream, count, bytes, last_seq, last_at, last_received_at)
         VALUES (@agent, @stream, @count, @bytes, @seq, @at, @now)
         ON CONFLICT (agent, stream) DO UPDATE SET
           count = count + excluded.count, bytes = bytes + excluded.bytes,
           last_seq = max(last_seq, excluded.last_seq),
           last_at = CASE WHEN excluded.last_seq > last_seq THEN excluded.last_at ELSE last_at END,
           last_received_at = excluded.last_received_at`,
      ),
      streams: db.prepare(
        `SELECT agent, stream, count, bytes, last_seq AS lastSeq, last_at AS lastAt,
                last_received_at AS lastReceivedAt FROM report_streams ORDER BY agent, stream`,
      ),
    };
  }

  /** Commits every batch in ONE transaction (group commit); returns what to acknowledge per batch. */
  commit(batches: readonly IncomingBatch[], now: number): CommitResult {
    const result: CommitResult = { acks: [], stored: [], duplicates: 0 };
    this.#db
      .transaction(() => {
        for (const batch of batches) {
          this.#commitOne(batch, now, result);
          result.acks.push(ackRanges(batch.reports));
        }
      })
      .immediate();
    return result;
  }

  #commitOne(batch: IncomingBatch, now: number, result: CommitResult): void {
    const perStream = new Map<string, { count: number; bytes: number; seq: number; at: number }>();
    const floors = new Map<string, number>();
    for (const r of batch.reports) {
      let floor = floors.get(r.stream);
      if (floor === undefined) {
        const row = this.#stmts.floor.get(batch.agent, r.stream) as { floor: number } | undefined;
        floor = row?.floor ?? 0;
        floors.set(r.stream, floor);
      }
      const stats = perStream.get(r.stream) ?? { count: 0, bytes: 0, seq: 0, at: 0 };
      perStream.set(r.stream, stats);
      if (r.seq <= floor) {
        result.duplicates++;
        continue;
      }
      const body = Buffer.from(r.body, r.base64 ? 'base64' : 'utf8');
      const info = this.#stmts.insert.run(batch.agent, r.stream, r.seq, r.at, now, r.contentType, body);
      if (info.changes === 0) {
        result.duplicates++;
        continue;
      }
      stats.count++;
      stats.bytes += body.length;
      if (r.seq > stats.seq) {
        stats.seq = r.seq;
        stats.at = r.at;
      }
      result.stored.push({
        id: Number(info.lastInsertRowid),
        agent: batch.agent,
        stream: r.stream,
        seq: r.seq,
        at: r.at,
        receivedAt: now,
        contentType: r.contentType,
        body,
      });
    }
    for (const [stream, s] of perStream) {
      if (s.count === 0) continue;
      this.#stmts.upsertStream.run({
        agent: batch.agent,
        stream,
        count: s.count,
        bytes: s.bytes,
        seq: s.seq,
        at: s.at,
        now,
      });
    }
  }

  /** Reports matching the filter in id order (the order they were committed), at most `limit`. */
  query(q: ReportQuery): StoredReport[] {
    const where: string[] = ['id > @afterId'];
    const params: Record<string, string | number> = { afterId: q.afterId ?? 0, limit: q.limit };
    const add = (name: 'agent' | 'stream' | 'since' | 'until', clause: string): void => {
      const value = q[name];
      if (value === undefined) return;
      where.push(clause);
      params[name] = value;
    };
    add('agent', 'agent = @agent');
    add('stream', 'stream = @stream');
    add('since', 'at >= @since');
    add('until', 'at < @until');
    const sql = `SELECT id, agent, stream, seq, at, received_at AS receivedAt, content_type AS contentType, body
                 FROM reports WHERE ${where.join(' AND ')} ORDER BY id LIMIT @limit`;
    return this.#db.prepare(sql).all(params) as StoredReport[];
  }

  /** Per (agent, stream) bookkeeping. */
  streams(): StreamStats[] {
    return this.#stmts.streams.all() as StreamStats[];
  }
}
