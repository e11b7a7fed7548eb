import { AgentIdSchema, ConflictError, ValidationError } from '@tether/shared';
import type { AuditLog } from './audit/audit-log.js';
import type { AgentStore } from './store/agent-store.js';
import { generateSecret, hashSecret } from './secrets.js';

/** A newly registered agent and its secret, shown once and never stored in clear. */
export interface NewAgent {
  id: string;
  secret: string;
}

/**
 * Registers an agent: validates the id, stores sha256(secret) and, given an audit log, its `agent-created` row in
 * the same transaction; throws ValidationError or ConflictError.
 */
export function registerAgent(
  agents: AgentStore,
  id: unknown,
  now: number,
  audit?: { log: AuditLog; actor: string },
): NewAgent {
  const parsed = AgentIdSchema.safeParse(id);
  if (!parsed.success) {
    const rule = parsed.error.issues[0]?.message ?? 'invalid';
    throw new ValidationError(`invalid agent id ${JSON.stringify(id)}: ${rule}`);
  }
  const secret = generateSecret();
  const insert = (): void => {
    if (!agents.insert(parsed.data, hashSecret(secret), now))
      throw new ConflictError(`agent "${parsed.data}" exists already`);
    audit?.log.record({ kind: 'agent-created', agentId: parsed.data, actor: audit.actor });
  };
  if (audit) audit.log.atomically(insert);
  else insert();
  return { id: parsed.data, secret };
}
