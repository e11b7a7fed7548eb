import type BetterSqlite3 from 'better-sqlite3';
import type { Clock } from '@tether/shared';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';

/** Limits of one (agent, stream) series; any may be absent. */
export interface RetentionLimits {
  maxAgeMs?: number;
  maxRows?: number;
  maxBytes?: number;
}

/** The defaults for every stream, and per stream name overrides (merged over the defaults). */
export interface RetentionPolicy extends RetentionLimits {
  streams: Record<string, RetentionLimits>;
}

/** Options of the retention sweeper. */
export interface ReportRetentionOptions {
  db: BetterSqlite3.Database;
  policy: RetentionPolicy;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
  intervalMs: number;
}

/** The effective limits of a stream: its own over the defaults. */
export function limitsFor(policy: RetentionPolicy, stream: string): RetentionLimits {
  const { streams, ...defaults } = policy;
  return { ...defaults, ...streams[stream] };
}

/**
 * Deletes reports beyond their stream's age, row and byte limits, oldest first, on the injected Clock. Each
 * (agent, stream) series keeps `floor_seq` = the highest seq deleted, so a late redelivery never stores it again.
 */
export class ReportRetention {
  readonly #o: ReportRetentionOptions;
  readonly #stmts;
  #timer: unknown;
  #running = false;

  constructor(options: ReportRetentionOptions) {
    this.#o = options;
    const db = options.db;
    this.#stmts = {
      series: db.prepare('SELECT agent, stream, count, bytes FROM report_streams'),
      byAge: db.prepare(
        'DELETE FROM reports WHERE agent = ? AND stream = ? AND received_at < ? RETURNING seq, length(body) AS size',
      ),
      oldest: db.prepare(
        'SELECT id, seq, length(body) AS size FROM reports WHERE agent = ? AND stream = ? ORDER BY id LIMIT ?',
      ),
      deleteUpTo: db.prepare('DELETE FROM reports WHERE agent = ? AND stream = ? AND id <= ?'),
      update: db.prepare(
        `UPDATE report_streams SET count = count - ?, bytes = bytes - ?, floor_seq = max(floor_seq, ?)
         WHERE agent = ? AND stream = ?`,
      ),
    };
  }

  /** Starts sweeping every `intervalMs`. */
  start(): void {
    if (this.#running || !this.#hasLimits()) return;
    this.#running = true;
    this.#schedule();
  }

  /** Stops sweeping. */
  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer);
  }

  /** Applies the limits now; returns how many reports were deleted. */
  sweep(): number {
    const now = this.#o.clock.now();
    let total = 0;
    const series = this.#stmts.series.all() as {
      agent: string;
      stream: string;
      count: number;
      bytes: number;
    }[];
    for (const s of series) {
      const limits = limitsFor(this.#o.policy, s.stream);
      total += this.#o.db.transaction(() => this.#sweepOne(s, limits, now)).immediate();
    }
    if (total > 0) {
      this.#o.metrics.reportsExpired.inc(total);
      this.#o.logger.info({ deleted: total }, 'reports deleted by retention');
    }
    return total;
  }

  #sweepOne(
    s: { agent: string; stream: string; count: number; bytes: number },
    limits: RetentionLimits,
    now: number,
  ): number {
    let rows = 0;
    let bytes = 0;
    let floor = 0;
    if (limits.maxAgeMs !== undefined) {
      const gone = this.#stmts.byAge.all(s.agent, s.stream, now - limits.maxAgeMs) as {
        seq: number;
        size: number;
      }[];
      for (const g of gone) {
        rows++;
        bytes += g.size;
        floor = Math.max(floor, g.seq);
      }
    }
    let excessRows = limits.maxRows === undefined ? 0 : s.count - rows - limits.maxRows;
    let excessBytes = limits.maxBytes === undefined ? 0 : s.bytes - bytes - limits.maxBytes;
    if (excessRows > 0 || excessBytes > 0) {
      const candidates = this.#stmts.oldest.all(s.agent, s.stream, Math.max(0, s.count - rows)) as {
        id: number;
        seq: number;
        size: number;
      }[];
      let lastId = 0;
      for (const c of candidates) {
        if (excessRows <= 0 && excessBytes <= 0) break;
        lastId = c.id;
        rows++;
        bytes += c.size;
        floor = Math.max(floor, c.seq);
        excessRows--;
        excessBytes -= c.size;
      }
      if (lastId > 0) this.#stmts.deleteUpTo.run(s.agent, s.stream, lastId);
    }
    if (rows > 0) this.#stmts.update.run(rows, bytes, floor, s.agent, s.stream);
    return rows;
  }

  #hasLimits(): boolean {
    const { streams, ...defaults } = this.#o.policy;
    return [defaults, ...Object.values(streams)].some(
      (l) => l.maxAgeMs !== undefined || l.maxRows !== undefined || l.maxBytes !== undefined,
    );
  }

  #schedule(): void {
    this.#timer = this.#o.clock.setTimeout(() => {
      if (!this.#running) return;
      try {
        this.sweep();
      } catch (err) {
        this.#o.logger.error({ err }, 'report retention failed');
      }
      this.#schedule();
    }, this.#o.intervalMs);
  }
}
