import type BetterSqlite3 from 'better-sqlite3';
import type { Clock } from '@tether/shared';
import type { AuditLog } from '../../audit/audit-log.js';
import type { Logger } from '../../observability/logger.js';
import type { AgentStore } from '../../store/agent-store.js';

/** What confirming a rotation touches. */
export interface ConfirmRotationDeps {
  db: BetterSqlite3.Database;
  agents: AgentStore;
  audit: AuditLog;
  logger: Logger;
  clock: Clock;
}

/**
 * Makes the pending secret of `rotation` the agent's only secret (the old one stops working), in one transaction.
 * `how`: the agent acknowledged it, or connected with it. False when that rotation is not pending.
 */
export function confirmRotation(
  deps: ConfirmRotationDeps,
  agentId: string,
  rotation: string,
  how: 'ack' | 'connect',
): boolean {
  const now = deps.clock.now();
  const done = deps.db
    .transaction(() => {
      const promoted = deps.agents.promotePendingSecret(agentId, rotation, now);
      if (promoted)
        deps.audit.record({
          kind: 'credential-rotated',
          agentId,
          actor: 'agent',
          detail: { rotation, state: 'confirmed', via: how },
        });
      return promoted;
    })
    .immediate();
  if (done) deps.logger.info({ agentId, rotation, confirmedBy: how }, 'credential rotated');
  return done;
}
