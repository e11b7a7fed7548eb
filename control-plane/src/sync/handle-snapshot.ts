import type { AdvertSnapshot, RouteEvent } from '@tether/shared';
import { acceptRoutes } from './accept-routes.js';
import { announceAgent } from './announce-agent.js';
import type { SyncContext } from './context.js';

/**
 * An advert snapshot: replaces all of the agent's routes with the accepted ones and records its sync position
 * and identity in ONE transaction, then sends the agent its full set of central routes.
 */
export async function handleSnapshot(
  ctx: SyncContext,
  agentId: string,
  message: AdvertSnapshot,
): Promise<void> {
  const accepted = acceptRoutes(ctx, agentId, message.routes);
  const now = ctx.clock.now();
  const events: RouteEvent[] = ctx.db
    .transaction(() => {
      const changed = ctx.table.replaceOrigin(agentId, accepted);
      ctx.agents.recordSnapshot(agentId, {
        epoch: message.epoch,
        seq: message.seq,
        strategy: message.strategy,
        site: message.site,
        labels: message.labels,
        at: now,
      });
      return changed;
    })
    .immediate();
  ctx.bus.emitRouteEvents(events);
  if (message.outbox) ctx.telemetry.recordOutbox(agentId, message.outbox, now);
  announceAgent(ctx, agentId);
  ctx.logger.debug({ agentId, routes: accepted.length, events: events.length }, 'snapshot applied');
  await ctx.distribution.sendFull(agentId);
}
