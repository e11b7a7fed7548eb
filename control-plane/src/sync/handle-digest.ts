import { routesDigest, type AdvertDigest } from '@tether/shared';
import type { SyncContext } from './context.js';
import { requestResync } from './inbox.js';

/** An advert digest: when the sync position or the digest of the stored routes differs, asks for a resync. */
export async function handleDigest(ctx: SyncContext, agentId: string, message: AdvertDigest): Promise<void> {
  const agent = ctx.agents.get(agentId);
  if (!agent || agent.epoch !== message.epoch || agent.seq !== message.seq) {
    return requestResync(ctx, agentId, 'digest position mismatch');
  }
  const stored = ctx.table.list({ origin: agentId });
  if (stored.length !== message.count || routesDigest(stored) !== message.digest) {
    return requestResync(ctx, agentId, 'digest mismatch');
  }
}
