import type { ResyncRequest } from '@tether/shared';
import type { SyncContext } from './context.js';

/**
 * A resync request from an agent (it saw a gap or an unknown epoch): sends it a full set of routes, after the
 * writes queued before it (a snapshot may have changed its site or labels).
 */
export function handleResync(ctx: SyncContext, agentId: string, message: ResyncRequest): void {
  // In a cluster only the replica holding the agent's socket answers (the others would send duplicates).
  if (ctx.isLocal && !ctx.isLocal(agentId)) return;
  ctx.logger.info({ agentId, reason: message.reason }, 'agent asked for a resync');
  ctx.commits.enqueue(
    () => undefined,
    () => void ctx.distribution.sendFull(agentId),
  );
}
