import type { ResyncRequest } from '@tether/shared';
import type { SyncContext } from './context.js';

/** A resync request from an agent (it saw a gap or an unknown epoch): sends it a full set of routes. */
export async function handleResync(ctx: SyncContext, agentId: string, message: ResyncRequest): Promise<void> {
  // In a cluster only the replica holding the agent's socket answers (the others would send duplicates).
  if (ctx.isLocal && !ctx.isLocal(agentId)) return;
  ctx.logger.info({ agentId, reason: message.reason }, 'agent asked for a resync');
  await ctx.distribution.sendFull(agentId);
}
