import { AgentIdSchema, ConflictError, formatZodError, ValidationError } from '@tether/shared';
import type { AuditLog } from './audit/audit-log.js';
import type { AgentStore } from './store/agent-store.js';
import { withClaims, type UniqueClaims } from './cluster/unique-claims.js';
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
  const agentId = parseAgentId(id);
  const secret = generateSecret();
  const insert = (): void => {
    if (!agents.insert(agentId, hashSecret(secret), now)) throw exists(agentId);
    audit?.log.record({ kind: 'agent-created', agentId, actor: audit.actor });
  };
  if (audit) audit.log.atomically(insert);
  else insert();
  return { id: agentId, secret };
}

/**
 * Registers an agent whose id is first claimed cluster-wide (`agent:<id>` in Redis, docs/cluster.md), so of two
 * replicas creating the same id at once exactly one succeeds; without a cluster (`claims` undefined), as above.
 */
export async function registerAgentOnce(
  agents: AgentStore,
  id: unknown,
  now: number,
  audit: { log: AuditLog; actor: string },
  claims: UniqueClaims | undefined,
): Promise<NewAgent> {
  const agentId = parseAgentId(id);
  return withClaims(
    claims,
    [`agent:${agentId}`],
    () => exists(agentId),
    () => registerAgent(agents, agentId, now, audit),
  );
}

const exists = (id: string): ConflictError => new ConflictError(`agent "${id}" exists already`);

/** A valid agent id, or a ValidationError naming the rule it breaks. */
function parseAgentId(id: unknown): string {
  const parsed = AgentIdSchema.safeParse(id);
  if (parsed.success) return parsed.data;
  throw new ValidationError(`invalid agent id ${JSON.stringify(id)}: ${formatZodError(parsed.error)}`);
}
