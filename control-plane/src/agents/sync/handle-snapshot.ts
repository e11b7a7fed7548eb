import type { AdvertSnapshot, RouteEvent } from '@tether/shared';
import { acceptRoutes } from './accept-routes.js';
import { announceAgent } from './announce-agent.js';
import type { SyncContext } from './context.js';
import { refusalOf, refuseRoutes } from './refuse-routes.js';

/**
 * An advert snapshot: replaces all of the agent's routes with the accepted ones and records its sync position
 * and identity in ONE transaction, then sends the agent its full set of central routes. An agent whose strategy
 * the hub fixed to `none`, or that declares `none` itself, has none of its routes accepted (refuseRoutes).
 */
export async function handleSnapshot(
  ctx: SyncContext,
  agentId: string,
  message: AdvertSnapshot,
): Promise<void> {
  const refusal = refusalOf(ctx.agents.get(agentId), message.strategy);
  if (refusal) refuseRoutes(ctx, agentId, refusal, message.routes.length, message.strategy);
  const accepted = refusal ? [] : acceptRoutes(ctx, agentId, message.routes);
  const now = ctx.clock.now();
  const { stages } = ctx.metrics;
  const events: RouteEvent[] = stages.time('commit', () =>
    ctx.db
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
      .immediate(),
  );
  stages.time('events', () => {
    ctx.bus.emitRouteEvents(events);
    if (message.outbox) ctx.telemetry.recordOutbox(agentId, message.outbox, now);
    announceAgent(ctx, agentId);
  });
  ctx.logger.debug({ agentId, routes: accepted.length, events: events.length }, 'snapshot applied');
  const started = performance.now();
  const sent = ctx.distribution.sendFull(agentId);
  stages.add('answer', performance.now() - started);
  await sent;
}
