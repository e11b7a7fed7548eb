import type BetterSqlite3 from 'better-sqlite3';
import { OwnedCache } from '../db/owned-cache.js';

/** Every state a rollout can be in (the one list: the policy, the API schema and migration 13 follow it). */
export const ROLLOUT_STATES = ['running', 'done', 'stopped'] as const;
/** Every state one agent of a rollout can be in. */
export const TARGET_STATES = [
  'pending',
  'sending',
  'upgraded',
  'rolled-back',
  'refused',
  'timed-out',
  'skipped',
] as const;
/** Where a rollout stands. */
export type StoredRolloutState = (typeof ROLLOUT_STATES)[number];
/** Where one agent of a rollout stands. */
export type StoredTargetState = (typeof TARGET_STATES)[number];

/** A rollout of one signed agent build. */
export interface RolloutRecord {
  id: string;
  sha256: string;
  size: number;
  signature: string;
  selector: string;
  canary: number;
  maxFailures: number;
  deadlineMs: number;
  state: StoredRolloutState;
  reason: string | null;
  createdAt: number;
  updatedAt: number;
}

/** One agent of a rollout. */
export interface TargetRecord {
  agentId: string;
  position: number;
  state: StoredTargetState;
  /** The version the agent reported with its outcome. */
  version: string | null;
  reason: string | null;
  updatedAt: number;
}

interface RolloutRow {
  id: string;
  sha256: string;
  size: number;
  signature: string;
  selector: string;
  canary: number;
  max_failures: number;
  deadline_ms: number;
  state: StoredRolloutState;
  reason: string | null;
  created_at: number;
  updated_at: number;
}

interface TargetRow {
  agent_id: string;
  position: number;
  state: StoredTargetState;
  version: string | null;
  reason: string | null;
  updated_at: number;
}

const toRollout = (r: RolloutRow): RolloutRecord => ({
  id: r.id,
  sha256: r.sha256,
  size: r.size,
  signature: r.signature,
  selector: r.selector,
  canary: r.canary,
  maxFailures: r.max_failures,
  deadlineMs: r.deadline_ms,
  state: r.state,
  reason: r.reason,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toTarget = (r: TargetRow): TargetRecord => ({
  agentId: r.agent_id,
  position: r.position,
  state: r.state,
  version: r.version,
  reason: r.reason,
  updatedAt: r.updated_at,
});

/**
 * Fleet upgrade rollouts and their agents in SQLite (migration 13): a restarted control plane carries on. The
 * running rollouts are cached (every agent's connect asks for them; a reconnect storm would read them thousands of
 * times a second): every write of a rollout row here evicts them.
 */
export class UpgradeStore {
  readonly #db: BetterSqlite3.Database;
  readonly #running: OwnedCache<'running', readonly RolloutRecord[]>;
  readonly #stmts;

  constructor(db: BetterSqlite3.Database) {
    this.#db = db;
    this.#running = new OwnedCache(db);
    this.#stmts = {
      insertRollout: db.prepare<
        [string, string, number, string, string, number, number, number, number, number]
      >(
        `INSERT INTO upgrade_rollouts
           (id, sha256, size, signature, selector, canary, max_failures, deadline_ms, state, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?)`,
      ),
      insertTarget: db.prepare<[string, string, number, number]>(
        `INSERT INTO upgrade_targets (rollout_id, agent_id, position, state, updated_at)
         VALUES (?, ?, ?, 'pending', ?)`,
      ),
      rollout: db.prepare<[string], RolloutRow>('SELECT * FROM upgrade_rollouts WHERE id = ?'),
      rollouts: db.prepare<[], RolloutRow>('SELECT * FROM upgrade_rollouts ORDER BY created_at DESC, id'),
      running: db.prepare<[], RolloutRow>(
        "SELECT * FROM upgrade_rollouts WHERE state = 'running' ORDER BY created_at, id",
      ),
      targets: db.prepare<[string], TargetRow>(
        'SELECT * FROM upgrade_targets WHERE rollout_id = ? ORDER BY position',
      ),
      target: db.prepare<[string, string], TargetRow>(
        'SELECT * FROM upgrade_targets WHERE rollout_id = ? AND agent_id = ?',
      ),
      setTarget: db.prepare<[string, string | null, string | null, number, string, string]>(
        `UPDATE upgrade_targets SET state = ?, version = coalesce(?, version), reason = ?, updated_at = ?
         WHERE rollout_id = ? AND agent_id = ?`,
      ),
      setRollout: db.prepare<[string, string | null, number, string]>(
        'UPDATE upgrade_rollouts SET state = ?, reason = ?, updated_at = ? WHERE id = ?',
      ),
    };
  }

  /** Inserts a running rollout and its agents, in order (canaries first), in one transaction. */
  insert(rollout: Omit<RolloutRecord, 'state' | 'reason' | 'updatedAt'>, agentIds: readonly string[]): void {
    this.#running.clear();
    this.#db.transaction(() => {
      const r = rollout;
      this.#stmts.insertRollout.run(
        r.id,
        r.sha256,
        r.size,
        r.signature,
        r.selector,
        r.canary,
        r.maxFailures,
        r.deadlineMs,
        r.createdAt,
        r.createdAt,
      );
      agentIds.forEach((agentId, position) =>
        this.#stmts.insertTarget.run(r.id, agentId, position, r.createdAt),
      );
    })();
  }

  /** One rollout, if any. */
  get(id: string): RolloutRecord | undefined {
    const row = this.#stmts.rollout.get(id);
    return row ? toRollout(row) : undefined;
  }

  /** Every rollout, newest first. */
  list(): RolloutRecord[] {
    return this.#stmts.rollouts.all().map(toRollout);
  }

  /** The rollouts still running, oldest first. */
  running(): readonly RolloutRecord[] {
    return this.#running.get('running', () => this.#stmts.running.all().map(toRollout)) ?? [];
  }

  /** A rollout's agents in rollout order. */
  targets(id: string): TargetRecord[] {
    return this.#stmts.targets.all(id).map(toTarget);
  }

  /** One agent of a rollout, if it is one (a lookup by key, not a read of every target). */
  target(id: string, agentId: string): TargetRecord | undefined {
    const row = this.#stmts.target.get(id, agentId);
    return row ? toTarget(row) : undefined;
  }

  /** Sets where one agent of a rollout stands. */
  setTarget(
    id: string,
    agentId: string,
    state: StoredTargetState,
    at: number,
    detail: { version?: string | undefined; reason?: string | undefined } = {},
  ): void {
    this.#stmts.setTarget.run(state, detail.version ?? null, detail.reason ?? null, at, id, agentId);
  }

  /** Sets where a rollout stands. */
  setRollout(id: string, state: StoredRolloutState, reason: string | null, at: number): void {
    this.#running.clear();
    this.#stmts.setRollout.run(state, reason, at, id);
  }
}
