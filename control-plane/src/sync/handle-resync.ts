import type { ResyncRequest } from '@tether/shared';
import type { SyncContext } from './context.js';

/** A resync request from an agent (it saw a gap or an unknown epoch): sends it a full set of routes. */
export async function handleResync(ctx: SyncContext, agentId: string, message: ResyncRequest): Promise<void> {
  ctx.logger.info({ agentId, reason: message.reason }, 'agent asked for a resync');
  await ctx.distribution.sendFull(agentId);
}
