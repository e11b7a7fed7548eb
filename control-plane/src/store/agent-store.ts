import type BetterSqlite3 from 'better-sqlite3';
import type { AdvertiseStrategy, Labels } from '@tether/shared';
import type { CommitWatch } from '../db/commit-watch.js';
import { OwnedCache } from '../db/owned-cache.js';

/** One agent as stored. */
export interface AgentRecord {
  id: string;
  secretHash: string;
  createdAt: number;
  status: 'online' | 'offline';
  strategy: AdvertiseStrategy | null;
  site: string | null;
  labels: Labels;
  version: string | null;
  lastSeen: number | null;
  epoch: string | null;
  seq: number | null;
  /** When the agent was revoked (it may never connect again), or null. */
  revokedAt: number | null;
  /** sha256 of a rotated secret the agent has not confirmed yet (both secrets work meanwhile). */
  pendingSecretHash: string | null;
  /** Id of the pending rotation, echoed by the agent's `credential-ack`. */
  rotationId: string | null;
  rotationRequestedAt: number | null;
  /** When the agent last confirmed a rotated secret. */
  secretRotatedAt: number | null;
  /** The strategy the hub holds the agent to (a grant or `agent add --strategy`), whatever it declares; or null. */
  fixedStrategy: AdvertiseStrategy | null;
}

interface AgentRow {
  id: string;
  secret_hash: string;
  created_at: number;
  status: 'online' | 'offline';
  strategy: AdvertiseStrategy | null;
  site: string | null;
  labels: string;
  version: string | null;
  last_seen: number | null;
  epoch: string | null;
  seq: number | null;
  revoked_at: number | null;
  pending_secret_hash: string | null;
  rotation_id: string | null;
  rotation_requested_at: number | null;
  secret_rotated_at: number | null;
  fixed_strategy: AdvertiseStrategy | null;
}

/** What a snapshot records about its sender. */
export interface SnapshotFacts {
  epoch: string;
  seq: number;
  strategy: AdvertiseStrategy;
  site: string;
  labels: Labels;
  at: number;
}

/** What a retained agent-status records: only the fields present are written. */
export interface StatusFacts {
  strategy?: AdvertiseStrategy | undefined;
  site?: string | undefined;
  labels?: Labels | undefined;
  version?: string | undefined;
  at: number;
}

function toRecord(row: AgentRow): AgentRecord {
  return {
    id: row.id,
    secretHash: row.secret_hash,
    createdAt: row.created_at,
    status: row.status,
    strategy: row.strategy,
    site: row.site,
    labels: JSON.parse(row.labels) as Labels,
    version: row.version,
    lastSeen: row.last_seen,
    epoch: row.epoch,
    seq: row.seq,
    revokedAt: row.revoked_at,
    pendingSecretHash: row.pending_secret_hash,
    rotationId: row.rotation_id,
    rotationRequestedAt: row.rotation_requested_at,
    secretRotatedAt: row.secret_rotated_at,
    fixedStrategy: row.fixed_strategy,
  };
}

/**
 * The agents table: identities, liveness and each agent's advert sync position (epoch, seq). `get` answers from
 * an OwnedCache (the connect path reads an agent several times): the connect path's writes (online, offline,
 * status, snapshot, position) hand it the row they wrote (`RETURNING *`), so a connecting agent's row is read from
 * SQLite once, not after each of its writes; the other writes evict the agent they touch. With the CommitWatch of
 * the group commit they run in, what those write inside it is kept once it committed.
 */
export class AgentStore {
  readonly #stmts;
  readonly #cache: OwnedCache<string, AgentRecord>;

  constructor(db: BetterSqlite3.Database, watch?: CommitWatch) {
    this.#cache = new OwnedCache(db, watch);
    this.#stmts = {
      get: db.prepare<[string], AgentRow>('SELECT * FROM agents WHERE id = ?'),
      list: db.prepare<[], AgentRow>('SELECT * FROM agents ORDER BY id'),
      after: db.prepare<[string, number], AgentRow>('SELECT * FROM agents WHERE id > ? ORDER BY id LIMIT ?'),
      insert: db.prepare<[string, string, number, string | null]>(
        `INSERT INTO agents (id, secret_hash, created_at, fixed_strategy) VALUES (?, ?, ?, ?)
         ON CONFLICT (id) DO NOTHING`,
      ),
      insertEnrolled: db.prepare<[string, string, number, string | null, string, string | null]>(
        `INSERT INTO agents (id, secret_hash, created_at, site, labels, fixed_strategy) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO NOTHING`,
      ),
      setPending: db.prepare<[string, string, number, string]>(
        'UPDATE agents SET pending_secret_hash = ?, rotation_id = ?, rotation_requested_at = ? WHERE id = ?',
      ),
      promotePending: db.prepare<[number, string, string]>(
        `UPDATE agents SET secret_hash = pending_secret_hash, pending_secret_hash = NULL, rotation_id = NULL,
         secret_rotated_at = ? WHERE id = ? AND rotation_id = ? AND pending_secret_hash IS NOT NULL`,
      ),
      online: db.prepare<[number, string], AgentRow>(
        "UPDATE agents SET status = 'online', last_seen = ? WHERE id = ? RETURNING *",
      ),
      offline: db.prepare<[number, string], AgentRow>(
        "UPDATE agents SET status = 'offline', last_seen = ? WHERE id = ? RETURNING *",
      ),
      allOffline: db.prepare("UPDATE agents SET status = 'offline' WHERE status != 'offline'"),
      snapshot: db.prepare<[string, number, string, string, string, number, string], AgentRow>(
        `UPDATE agents SET epoch = ?, seq = ?, strategy = ?, site = ?, labels = ?, status = 'online', last_seen = ?
         WHERE id = ? RETURNING *`,
      ),
      revoke: db.prepare<[number, string]>(
        'UPDATE agents SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
      ),
      revoked: db.prepare<[], { id: string }>('SELECT id FROM agents WHERE revoked_at IS NOT NULL'),
      position: db.prepare<[number, number, string], AgentRow>(
        'UPDATE agents SET seq = ?, last_seen = ? WHERE id = ? RETURNING *',
      ),
      status: db.prepare<
        [string | null, string | null, string | null, string | null, number, string],
        AgentRow
      >(
        `UPDATE agents SET strategy = coalesce(?, strategy), site = coalesce(?, site), labels = coalesce(?, labels),
         version = coalesce(?, version), last_seen = ? WHERE id = ? RETURNING *`,
      ),
    };
  }

  /** The agent with this id, if any. */
  get(id: string): AgentRecord | undefined {
    return this.#cache.get(id, () => {
      const row = this.#stmts.get.get(id);
      return row ? toRecord(row) : undefined;
    });
  }

  /** Every agent, ordered by id. */
  list(): AgentRecord[] {
    return this.#stmts.list.all().map(toRecord);
  }

  /**
   * The agents after the id `after` (from the first when undefined), ordered by id, read lazily from the primary
   * key in chunks of `chunk` (a walk stopped early reads no further).
   */
  *after(after: string | undefined, chunk = 256): Generator<readonly [string, AgentRecord]> {
    let from = after ?? '';
    for (;;) {
      const rows = this.#stmts.after.all(from, chunk);
      for (const row of rows) yield [row.id, toRecord(row)];
      const last = rows.at(-1);
      if (!last || rows.length < chunk) return;
      from = last.id;
    }
  }

  /** Inserts a new agent (its strategy fixed by the hub, if given); false when the id exists already. */
  insert(id: string, secretHash: string, at: number, fixedStrategy?: AdvertiseStrategy): boolean {
    this.#cache.evict(id);
    return this.#stmts.insert.run(id, secretHash, at, fixedStrategy ?? null).changes === 1;
  }

  /** Marks the agent revoked at `at`; false when it is unknown or was revoked already. */
  revoke(id: string, at: number): boolean {
    this.#cache.evict(id);
    return this.#stmts.revoke.run(at, id).changes === 1;
  }

  /** The ids of every revoked agent. */
  revokedIds(): string[] {
    return this.#stmts.revoked.all().map((r) => r.id);
  }

  /**
   * Inserts an agent enrolled by a grant, with the grant's site, labels and fixed strategy; false when the id
   * exists already.
   */
  insertEnrolled(
    id: string,
    secretHash: string,
    at: number,
    grant: { site: string | undefined; labels: Labels; strategy: AdvertiseStrategy | undefined },
  ): boolean {
    const { site, labels, strategy } = grant;
    const row = [id, secretHash, at, site ?? null, JSON.stringify(labels), strategy ?? null] as const;
    this.#cache.evict(id);
    return this.#stmts.insertEnrolled.run(...row).changes === 1;
  }

  /** Records a rotated secret's hash as pending (replacing any earlier pending one); false for an unknown agent. */
  setPendingSecret(id: string, secretHash: string, rotationId: string, at: number): boolean {
    this.#cache.evict(id);
    return this.#stmts.setPending.run(secretHash, rotationId, at, id).changes === 1;
  }

  /** Makes the pending secret of rotation `rotationId` the only valid one; false when that rotation is not pending. */
  promotePendingSecret(id: string, rotationId: string, at: number): boolean {
    this.#cache.evict(id);
    return this.#stmts.promotePending.run(at, id, rotationId).changes === 1;
  }

  /** Marks the agent connected. */
  setOnline(id: string, at: number): void {
    this.#written(id, this.#stmts.online.get(at, id));
  }

  /**
   * Marks the agent disconnected. Its sync position stays: an agent back unchanged may resume from it (protocol 3);
   * any other advert of the agent starts with a snapshot in a new epoch anyway.
   */
  setOffline(id: string, at: number): void {
    this.#written(id, this.#stmts.offline.get(at, id));
  }

  /** Marks every agent offline (at start: nobody is connected yet); sync positions stay, as on a disconnect. */
  setAllOffline(): void {
    this.#cache.clear();
    this.#stmts.allOffline.run();
  }

  /** Records an applied snapshot: the new sync position and what the agent said about itself. */
  recordSnapshot(id: string, f: SnapshotFacts): void {
    const { epoch, seq, strategy, site, at } = f;
    this.#written(id, this.#stmts.snapshot.get(epoch, seq, strategy, site, JSON.stringify(f.labels), at, id));
  }

  /** Records an applied delta's sequence number. */
  recordPosition(id: string, seq: number, at: number): void {
    this.#written(id, this.#stmts.position.get(seq, at, id));
  }

  /** Records what a retained status said. */
  recordStatus(id: string, f: StatusFacts): void {
    const labels = f.labels === undefined ? null : JSON.stringify(f.labels);
    const row = this.#stmts.status.get(
      f.strategy ?? null,
      f.site ?? null,
      labels,
      f.version ?? null,
      f.at,
      id,
    );
    this.#written(id, row);
  }

  /** Hands the cache the row a write returned (none: the agent is unknown). */
  #written(id: string, row: AgentRow | undefined): void {
    this.#cache.put(id, row ? toRecord(row) : undefined);
  }
}
