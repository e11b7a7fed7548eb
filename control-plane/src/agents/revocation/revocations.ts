import type BetterSqlite3 from 'better-sqlite3';
import type { Clock } from '@tether/shared';
import type { AuditLog } from '../../audit/audit-log.js';
import type { EventBus } from '../../observability/event-bus.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import type { AgentStore } from '../../store/agent-store.js';
import type { SqliteRouteTable } from '../../store/sqlite-route-table.js';
import { markRevoked, type Revoked } from './revoke-agent.js';

/** What enforcing revocations touches. */
export interface RevocationsDeps {
  db: BetterSqlite3.Database;
  agents: AgentStore;
  table: SqliteRouteTable;
  audit: AuditLog;
  bus: EventBus;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
  /** Fails the agent's calls in flight (its tunnel) with a named error. */
  dropTunnel(agentId: string, reason: string): void;
  /** Closes the agent's broker connection now; false when it is not connected. */
  disconnect(agentId: string): boolean;
  /** Forgets per-agent limiter state. */
  forget(agentId: string): void;
  /** Tells the event stream the agent's view changed (it now shows revoked). */
  announce(agentId: string): void;
}

/**
 * Revocation on the running server: `revoke` (the API) marks and enforces at once; revocations written by another
 * process (the CLI, on the same SQLite file) are enforced by `enforceStored`, which the control plane calls at
 * start and whenever its DataVersionWatch sees another connection commit (within one poll interval). Enforcing =
 * the calls in flight fail, the connection closes, the agent's routes are deleted (route-deleted events reach the
 * event stream and every picker); the authenticate hook refuses the agent from then on. The agent row stays,
 * marked, for the audit.
 */
export class Revocations {
  readonly #d: RevocationsDeps;
  readonly #enforced = new Set<string>();

  constructor(deps: RevocationsDeps) {
    this.#d = deps;
  }

  /** Enforces every stored revocation not enforced here yet (at start: routes left by an offline revoke). */
  enforceStored(): void {
    for (const id of this.#d.agents.revokedIds()) if (!this.#enforced.has(id)) this.enforce(id);
  }

  /** Revokes an agent (marked and audited in one transaction) and enforces it now. Throws NotFoundError. */
  revoke(agentId: string, actor: string): Revoked {
    const revoked = markRevoked(this.#d, agentId, actor, this.#d.clock.now());
    this.enforce(agentId);
    return revoked;
  }

  /** Applies a stored revocation: calls aborted, connection closed, routes withdrawn. Idempotent. */
  enforce(agentId: string): void {
    const { db, table, bus, logger, metrics } = this.#d;
    const first = !this.#enforced.has(agentId);
    this.#enforced.add(agentId);
    this.#d.forget(agentId);
    this.#d.dropTunnel(agentId, 'agent revoked');
    const wasConnected = this.#d.disconnect(agentId);
    const events = db.transaction(() => table.replaceOrigin(agentId, [])).immediate();
    bus.emitRouteEvents(events);
    if (first) this.#d.announce(agentId);
    if (first && (wasConnected || events.length > 0)) {
      metrics.revocations.inc();
      logger.warn({ agentId, disconnected: wasConnected, routesWithdrawn: events.length }, 'agent revoked');
    }
  }
}
