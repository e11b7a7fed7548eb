import { z } from 'zod';
import {
  AdvertiseStrategySchema,
  AgentIdSchema,
  ConflictError,
  formatZodError,
  ValidationError,
} from '@tether/shared';
import type { AuditLog } from '../../audit/audit-log.js';
import type { AgentStore } from '../../store/agent-store.js';
import { withClaims, type UniqueClaims } from './unique-claims.js';
import { generateSecret, hashSecret } from '../../auth/secrets.js';

/**
 * `POST /api/v1/agents` and `tether-cp agent add`: the new agent's id and, optionally, the strategy the hub holds
 * it to whatever it declares (`none`: its advertised routes are never stored). Unknown keys refused.
 */
export const AgentRequestSchema = z.strictObject({
  id: AgentIdSchema,
  strategy: AdvertiseStrategySchema.optional(),
});
/** A request to register an agent. */
export type AgentRequest = z.infer<typeof AgentRequestSchema>;

/** A newly registered agent and its secret, shown once and never stored in clear. */
export interface NewAgent {
  id: string;
  secret: string;
}

/** Validates a registration request (API body or CLI); a ValidationError names the field or the unknown key. */
export function parseAgentRequest(input: unknown): AgentRequest {
  const parsed = AgentRequestSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError(`invalid agent request: ${formatZodError(parsed.error)}`);
  return parsed.data;
}

/**
 * Registers an agent: validates the request, stores sha256(secret) and, given an audit log, its `agent-created`
 * row in the same transaction; throws ValidationError or ConflictError.
 */
export function registerAgent(
  agents: AgentStore,
  input: unknown,
  now: number,
  audit?: { log: AuditLog; actor: string },
): NewAgent {
  const { id, strategy } = parseAgentRequest(input);
  const secret = generateSecret();
  const insert = (): void => {
    if (!agents.insert(id, hashSecret(secret), now, strategy)) throw exists(id);
    const detail = strategy === undefined ? undefined : { fixedStrategy: strategy };
    audit?.log.record({ kind: 'agent-created', agentId: id, actor: audit.actor, detail });
  };
  if (audit) audit.log.atomically(insert);
  else insert();
  return { id, secret };
}

/**
 * Registers an agent whose id is first claimed cluster-wide (`agent:<id>` in Redis, docs/cluster.md), so of two
 * replicas creating the same id at once exactly one succeeds; without a cluster (`claims` undefined), as above.
 */
export async function registerAgentOnce(
  agents: AgentStore,
  input: unknown,
  now: number,
  audit: { log: AuditLog; actor: string },
  claims: UniqueClaims | undefined,
): Promise<NewAgent> {
  const request = parseAgentRequest(input);
  return withClaims(
    claims,
    [`agent:${request.id}`],
    () => exists(request.id),
    () => registerAgent(agents, request, now, audit),
  );
}

const exists = (id: string): ConflictError => new ConflictError(`agent "${id}" exists already`);
