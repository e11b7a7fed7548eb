import type { SyncContext } from './context.js';

/**
 * True when work queued for the group commit must change nothing for this agent: it disconnected or was revoked
 * meanwhile (a revocation withdraws the agent's routes at once, outside the queue; queued work must not bring them
 * back).
 */
export function agentGone(ctx: Pick<SyncContext, 'isConnected' | 'agents'>, agentId: string): boolean {
  return !ctx.isConnected(agentId) || (ctx.agents.get(agentId)?.revokedAt ?? null) !== null;
}
