import type BetterSqlite3 from 'better-sqlite3';
import type { AdvertiseStrategy, Labels } from '@tether/shared';

/** One enrollment grant as stored: only the hash of its secret. */
export interface GrantRecord {
  id: string;
  secretHash: string;
  createdAt: number;
  expiresAt: number;
  /** The agent id the grant is bound to, if the operator chose one. */
  agentId: string | null;
  site: string | null;
  labels: Labels;
  /** The strategy the enrolled agent is held to, if the operator fixed one. */
  strategy: AdvertiseStrategy | null;
  usedAt: number | null;
  /** The agent the grant created. */
  usedBy: string | null;
}

interface GrantRow {
  id: string;
  secret_hash: string;
  created_at: number;
  expires_at: number;
  agent_id: string | null;
  site: string | null;
  labels: string;
  strategy: AdvertiseStrategy | null;
  used_at: number | null;
  used_by: string | null;
}

function toRecord(row: GrantRow): GrantRecord {
  return {
    id: row.id,
    secretHash: row.secret_hash,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    agentId: row.agent_id,
    site: row.site,
    labels: JSON.parse(row.labels) as Labels,
    strategy: row.strategy,
    usedAt: row.used_at,
    usedBy: row.used_by,
  };
}

/** The enrollment_grants table. */
export class GrantStore {
  readonly #stmts;

  constructor(db: BetterSqlite3.Database) {
    this.#stmts = {
      get: db.prepare<[string], GrantRow>('SELECT * FROM enrollment_grants WHERE id = ?'),
      insert: db.prepare<
        [string, string, number, number, string | null, string | null, string, string | null]
      >(
        `INSERT INTO enrollment_grants (id, secret_hash, created_at, expires_at, agent_id, site, labels, strategy)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      list: db.prepare<[], GrantRow>('SELECT * FROM enrollment_grants ORDER BY created_at, id'),
      delete: db.prepare<[string]>('DELETE FROM enrollment_grants WHERE id = ?'),
      use: db.prepare<[number, string, string, number]>(
        `UPDATE enrollment_grants SET used_at = ?, used_by = ?
         WHERE id = ? AND used_at IS NULL AND expires_at > ?`,
      ),
    };
  }

  /** The grant with this id, if any. */
  get(id: string): GrantRecord | undefined {
    const row = this.#stmts.get.get(id);
    return row ? toRecord(row) : undefined;
  }

  /** Every grant, oldest first. */
  list(): GrantRecord[] {
    return this.#stmts.list.all().map(toRecord);
  }

  /** Deletes a grant; false when there was none. */
  delete(id: string): boolean {
    return this.#stmts.delete.run(id).changes === 1;
  }

  /** Stores a new grant. */
  insert(g: Omit<GrantRecord, 'usedAt' | 'usedBy'>): void {
    this.#stmts.insert.run(
      g.id,
      g.secretHash,
      g.createdAt,
      g.expiresAt,
      g.agentId,
      g.site,
      JSON.stringify(g.labels),
      g.strategy,
    );
  }

  /** Marks the grant used by `agentId`, only if it is unused and unexpired at `now`; false otherwise. */
  markUsed(id: string, agentId: string, now: number): boolean {
    return this.#stmts.use.run(now, agentId, id, now).changes === 1;
  }
}
