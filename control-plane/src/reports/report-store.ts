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

/** One agent's batch to commit, with what the agent says it dropped (policy drop-oldest). */
export interface IncomingBatch {
  agent: string;
  reports: readonly WireReport[];
  dropped?: readonly { stream: string; through: number }[] | undefined;
}

/** The outcome of committing batches: per batch the ranges to acknowledge, and the rows newly stored. */
export interface CommitResult {
  acks: SeqRange[][];
  stored: StoredReport[];
  duplicates: number;
}

/**
 * The reports table: exactly once and in order per (agent, stream): a seq at or below the stream's `last_seq`
 * is a duplicate (so what retention deleted never comes back), and UNIQUE (agent, stream, seq) with
 * ON CONFLICT DO NOTHING backs that up. Synchronous, like better-sqlite3.
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
      last: db.prepare('SELECT last_seq AS last FROM report_streams WHERE agent = ? AND stream = ?'),
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
        for (const batch of batches) result.acks.push(this.#commitOne(batch, now, result));
      })
      .immediate();
    return result;
  }

  /**
   * Stores a batch's reports in seq order per stream: a seq at or below the stream's last is a duplicate
   * (acknowledged, not stored); the next seq (or any up to just past what the agent says it dropped) is stored;
   * a seq beyond a gap waits (not stored, not acknowledged) for the agent to resend in order.
   */
  #commitOne(batch: IncomingBatch, now: number, result: CommitResult): SeqRange[] {
    const dropped = new Map((batch.dropped ?? []).map((d) => [d.stream, d.through]));
    const streams = new Map<string, { last: number; count: number; bytes: number; at: number }>();
    for (const r of batch.reports) {
      let st = streams.get(r.stream);
      if (!st) {
        const row = this.#stmts.last.get(batch.agent, r.stream) as { last: number } | undefined;
        st = { last: row?.last ?? 0, count: 0, bytes: 0, at: 0 };
        streams.set(r.stream, st);
      }
      if (r.seq <= st.last) {
        result.duplicates++;
        continue;
      }
      if (r.seq > Math.max(st.last, dropped.get(r.stream) ?? 0) + 1) continue;
      const body = Buffer.from(r.body, r.base64 ? 'base64' : 'utf8');
      const info = this.#stmts.insert.run(batch.agent, r.stream, r.seq, r.at, now, r.contentType, body);
      st.last = r.seq;
      st.at = r.at;
      if (info.changes === 0) {
        result.duplicates++;
        continue;
      }
      st.count++;
      st.bytes += body.length;
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
    for (const [stream, st] of streams) {
      if (st.count === 0) continue;
      const params = {
        agent: batch.agent,
        stream,
        count: st.count,
        bytes: st.bytes,
        seq: st.last,
        at: st.at,
        now,
      };
      this.#stmts.upsertStream.run(params);
    }
    return ackRanges(batch.reports)
      .map((range) => ({ ...range, to: Math.min(range.to, streams.get(range.stream)?.last ?? 0) }))
      .filter((range) => range.to >= range.from);
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
