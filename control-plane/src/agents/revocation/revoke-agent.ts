import { NotFoundError } from '@tether/shared';
import type { AuditLog } from '../../audit/audit-log.js';
import type { AgentStore } from '../../store/agent-store.js';

/** What marking an agent revoked touches. */
export interface RevokeDeps {
  agents: AgentStore;
  audit: AuditLog;
}

/** The outcome of a revocation: when, and whether it had been revoked before. */
export interface Revoked {
  id: string;
  revokedAt: number;
  already: boolean;
}

/**
 * Marks an agent revoked and writes its audit row in one transaction (the CLI and the API both use it; the
 * running server enforces it: disconnect, routes withdrawn). Idempotent: a revoked agent keeps its first date and
 * gets no second audit row. Throws NotFoundError for an unknown agent.
 */
export function markRevoked(deps: RevokeDeps, id: string, actor: string, now: number): Revoked {
  return deps.audit.atomically(() => {
    const agent = deps.agents.get(id);
    if (!agent) throw new NotFoundError(`agent "${id}" not found`);
    if (agent.revokedAt !== null) return { id, revokedAt: agent.revokedAt, already: true };
    deps.agents.revoke(id, now);
    deps.audit.record({ kind: 'agent-revoked', agentId: id, actor });
    return { id, revokedAt: now, already: false };
  });
}
