import type { AdvertDelta, RouteEvent } from '@tether/shared';
import { acceptRoutes } from './accept-routes.js';
import type { SyncContext } from './context.js';
import { requestResync } from './inbox.js';
import { refusalOf, refuseRoutes } from './refuse-routes.js';

/**
 * An advert delta: applied only when its epoch is the stored one and its seq the stored one plus one;
 * otherwise nothing changes and the agent is asked to resync. Removes touch only keys the agent owns. Upserts of
 * an agent that may not advertise (hub-fixed or declared `none`) are refused; its position still moves on.
 */
export async function handleDelta(ctx: SyncContext, agentId: string, message: AdvertDelta): Promise<void> {
  const agent = ctx.agents.get(agentId);
  if (!agent || agent.epoch === null || agent.seq === null || agent.epoch !== message.epoch) {
    return requestResync(ctx, agentId, 'unknown epoch');
  }
  if (message.seq !== agent.seq + 1) {
    return requestResync(ctx, agentId, `sequence gap: expected ${agent.seq + 1}, got ${message.seq}`);
  }
  const refusal = refusalOf(agent);
  if (refusal) refuseRoutes(ctx, agentId, refusal, message.upserts.length, agent.strategy);
  const accepted = refusal ? [] : acceptRoutes(ctx, agentId, message.upserts);
  const now = ctx.clock.now();
  const events: RouteEvent[] = ctx.db
    .transaction(() => {
      const owned = message.removes.filter((key) => ctx.table.get(key)?.origin === agentId);
      const changed = ctx.table.apply(accepted, owned);
      ctx.agents.recordPosition(agentId, message.seq, now);
      return changed;
    })
    .immediate();
  ctx.bus.emitRouteEvents(events);
}
