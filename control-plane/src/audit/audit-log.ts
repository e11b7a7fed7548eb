import type BetterSqlite3 from 'better-sqlite3';
import type { Clock } from '@tether/shared';

/** Every kind of audit event. Enrollment and rotation kinds are written by their own code paths. */
export const AUDIT_KINDS = [
  'agent-created',
  'agent-revoked',
  'token-created',
  'token-deleted',
  'policy-set',
  'policy-deleted',
  'auth-failed',
  'acl-denied',
  'rate-limited',
  'agent-quarantined',
  'grant-created',
  'grant-redeemed',
  'grant-refused',
  'credential-rotated',
  'service-conflict',
  'service-conflict-resolved',
  'routes-refused',
  'listener-created',
  'listener-deleted',
] as const;
/** One kind of audit event. */
export type AuditKind = (typeof AUDIT_KINDS)[number];

/**
 * Kinds anyone can trigger at will (failed logins, denied publishes): coalesced into one row per identical event
 * and minute, at most `maxKeysPerMinute` rows a minute (the rest in one overflow row per kind), and only the newest
 * `maxCoalescedRows` of them kept. Every other kind is one row, written in the caller's transaction.
 */
export const COALESCED_KINDS: ReadonlySet<AuditKind> = new Set<AuditKind>([
  'auth-failed',
  'acl-denied',
  'rate-limited',
  'agent-quarantined',
  'grant-refused',
]);

/** What happened: the agent concerned, who did it (`token:<name>`, `cli`, `broker`), from where, and details. */
export interface AuditEntry {
  kind: AuditKind;
  agentId?: string | undefined;
  actor?: string | undefined;
  source?: string | undefined;
  detail?: Record<string, unknown> | undefined;
}

/** A stored audit row: `count` identical events between `at` and `lastAt` (coalesced kinds), else 1. */
export interface AuditRecord {
  id: number;
  at: number;
  lastAt: number;
  kind: AuditKind;
  agentId: string | null;
  actor: string | null;
  source: string | null;
  detail: Record<string, unknown> | null;
  count: number;
}

/** A page query of the audit log, oldest first. */
export interface AuditQuery {
  agentId?: string;
  kind?: AuditKind;
  since?: number;
  afterId?: number;
  limit: number;
}

/** Options of the audit log. */
export interface AuditLogOptions {
  db: BetterSqlite3.Database;
  clock: Clock;
  /** How often buffered coalesced events are written (default 1 s). */
  flushIntervalMs?: number;
  /** Distinct coalesced rows per minute before the overflow row takes the rest (default 100). */
  maxKeysPerMinute?: number;
  /** Coalesced rows kept, newest first (default 100,000). */
  maxCoalescedRows?: number;
}

interface AuditRow {
  id: number;
  at: number;
  last_at: number;
  kind: AuditKind;
  agent_id: string | null;
  actor: string | null;
  source: string | null;
  detail: string | null;
  count: number;
}

interface Pending {
  entry: AuditEntry;
  at: number;
  lastAt: number;
  count: number;
  rowId: number | undefined;
  dirty: boolean;
}

const MINUTE = 60_000;

function toRecord(row: AuditRow): AuditRecord {
  return {
    id: row.id,
    at: row.at,
    lastAt: row.last_at,
    kind: row.kind,
    agentId: row.agent_id,
    actor: row.actor,
    source: row.source,
    detail: row.detail === null ? null : (JSON.parse(row.detail) as Record<string, unknown>),
    count: row.count,
  };
}

/** The audit table: security events, each change's row in the same transaction as the change. */
export class AuditLog {
  readonly #db: BetterSqlite3.Database;
  readonly #clock: Clock;
  readonly #flushMs: number;
  readonly #maxKeys: number;
  readonly #maxRows: number;
  readonly #stmts;
  readonly #pending = new Map<string, Pending>();
  #minute = -1;
  #timer: unknown;
  #lastPrune = 0;

  constructor(options: AuditLogOptions) {
    this.#db = options.db;
    this.#clock = options.clock;
    this.#flushMs = options.flushIntervalMs ?? 1_000;
    this.#maxKeys = options.maxKeysPerMinute ?? 100;
    this.#maxRows = options.maxCoalescedRows ?? 100_000;
    const db = options.db;
    this.#stmts = {
      insert: db.prepare<
        [number, number, string, string | null, string | null, string | null, string | null, number, number]
      >(
        `INSERT INTO audit (at, last_at, kind, agent_id, actor, source, detail, count, coalesced)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      update: db.prepare<[number, number, number]>('UPDATE audit SET count = ?, last_at = ? WHERE id = ?'),
      exists: db.prepare<[string, string], { one: number }>(
        'SELECT 1 AS one FROM audit WHERE agent_id = ? AND kind = ? LIMIT 1',
      ),
      prune: db.prepare<[number]>(
        `DELETE FROM audit WHERE coalesced = 1 AND id <= (
           SELECT id FROM audit WHERE coalesced = 1 ORDER BY id DESC LIMIT 1 OFFSET ?)`,
      ),
    };
  }

  /**
   * Records an event. Change kinds are inserted now (inside the caller's transaction, if any: call it there);
   * coalesced kinds are counted in memory and written by the next flush.
   */
  record(entry: AuditEntry): void {
    const now = this.#clock.now();
    if (!COALESCED_KINDS.has(entry.kind)) {
      this.#insert(entry, now, now, 1, false);
      return;
    }
    const minute = Math.floor(now / MINUTE);
    if (minute !== this.#minute) {
      this.flush();
      this.#pending.clear();
      this.#minute = minute;
    }
    let key = JSON.stringify([entry.kind, entry.agentId, entry.actor, entry.source, entry.detail]);
    let pending = this.#pending.get(key);
    if (!pending && this.#pending.size >= this.#maxKeys) {
      key = JSON.stringify([entry.kind, 'overflow']);
      pending = this.#pending.get(key);
      entry = { kind: entry.kind, detail: { overflow: true } };
    }
    if (pending) {
      pending.count++;
      pending.lastAt = now;
      pending.dirty = true;
    } else {
      this.#pending.set(key, { entry, at: now, lastAt: now, count: 1, rowId: undefined, dirty: true });
    }
  }

  /**
   * Records a change-kind event of an agent unless one of the same kind for that agent exists already (an event
   * every message of a misbehaving agent would repeat, kept once); true when it recorded it.
   */
  recordOnce(entry: AuditEntry & { agentId: string }): boolean {
    if (COALESCED_KINDS.has(entry.kind)) throw new Error(`recordOnce of coalesced kind ${entry.kind}`);
    if (this.#stmts.exists.get(entry.agentId, entry.kind)) return false;
    this.record(entry);
    return true;
  }

  /** Runs `fn` in one immediate transaction: a change and its audit row commit together or not at all. */
  atomically<T>(fn: () => T): T {
    return this.#db.transaction(fn).immediate();
  }

  /** Writes the buffered coalesced events in one transaction and keeps their row count bounded. */
  flush(): void {
    const dirty = [...this.#pending.values()].filter((p) => p.dirty);
    if (dirty.length === 0 || !this.#db.open) return;
    this.atomically(() => {
      for (const p of dirty) {
        if (p.rowId === undefined) p.rowId = this.#insert(p.entry, p.at, p.lastAt, p.count, true);
        else this.#stmts.update.run(p.count, p.lastAt, p.rowId);
        p.dirty = false;
      }
      const now = this.#clock.now();
      if (now - this.#lastPrune >= MINUTE) {
        this.#lastPrune = now;
        this.#stmts.prune.run(this.#maxRows);
      }
    });
  }

  /** Flushes every `flushIntervalMs` until `stop`. */
  start(): void {
    const tick = (): void => {
      this.flush();
      this.#timer = this.#clock.setTimeout(tick, this.#flushMs);
    };
    this.#timer = this.#clock.setTimeout(tick, this.#flushMs);
  }

  /** Stops the timer and writes what is buffered. */
  stop(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.flush();
  }

  /** A page of the log, oldest first, filtered by agent, kind and time. */
  list(q: AuditQuery): AuditRecord[] {
    const where: string[] = ['id > @afterId'];
    const params: Record<string, string | number> = { afterId: q.afterId ?? 0, limit: q.limit };
    if (q.agentId !== undefined) {
      params.agentId = q.agentId;
      where.push('agent_id = @agentId');
    }
    if (q.kind !== undefined) {
      params.kind = q.kind;
      where.push('kind = @kind');
    }
    if (q.since !== undefined) {
      params.since = q.since;
      where.push('last_at >= @since');
    }
    const rows = this.#db
      .prepare<Record<string, string | number>, AuditRow>(
        `SELECT * FROM audit WHERE ${where.join(' AND ')} ORDER BY id LIMIT @limit`,
      )
      .all(params);
    return rows.map(toRecord);
  }

  #insert(entry: AuditEntry, at: number, lastAt: number, count: number, coalesced: boolean): number {
    const detail = entry.detail === undefined ? null : JSON.stringify(entry.detail);
    const info = this.#stmts.insert.run(
      at,
      lastAt,
      entry.kind,
      entry.agentId ?? null,
      entry.actor ?? null,
      entry.source ?? null,
      detail,
      count,
      coalesced ? 1 : 0,
    );
    return Number(info.lastInsertRowid);
  }
}
