import { routesDigest, type AdvertDigest, type OutboxStats } from '@tether/shared';
import { announceAgent } from './announce-agent.js';
import type { SyncContext } from './context.js';
import { requestResync } from './inbox.js';
import { refusalOf } from './refuse-routes.js';

function sameOutbox(a: OutboxStats | undefined, b: OutboxStats): boolean {
  return (
    a !== undefined &&
    a.depth === b.depth &&
    a.bytes === b.bytes &&
    a.dropped === b.dropped &&
    (a.oldestAgeMs === null) === (b.oldestAgeMs === null)
  );
}

/**
 * An advert digest: records the outbox figures it carries (announcing the agent when they changed); when the
 * sync position or the digest of the stored routes differs, asks for a resync. The routes of an agent whose
 * adverts are refused are not compared: it digests what it advertised, the hub stored none, and a resync would
 * only be refused again, every digest.
 */
export async function handleDigest(ctx: SyncContext, agentId: string, message: AdvertDigest): Promise<void> {
  if (message.outbox) {
    const changed = !sameOutbox(ctx.telemetry.get(agentId)?.outbox, message.outbox);
    ctx.telemetry.recordOutbox(agentId, message.outbox, ctx.clock.now());
    if (changed) announceAgent(ctx, agentId);
  }
  const agent = ctx.agents.get(agentId);
  if (!agent || agent.epoch !== message.epoch || agent.seq !== message.seq) {
    return requestResync(ctx, agentId, 'digest position mismatch');
  }
  if (refusalOf(agent)) return;
  const stored = ctx.table.list({ origin: agentId });
  if (stored.length !== message.count || routesDigest(stored) !== message.digest) {
    return requestResync(ctx, agentId, 'digest mismatch');
  }
}
