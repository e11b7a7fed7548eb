import type { AdvertSnapshot } from '@tether/shared';
import { acceptRoutes } from './accept-routes.js';
import { announceAgent } from './announce-agent.js';
import { agentGone } from './agent-gone.js';
import type { SyncContext } from './context.js';
import { requestResync } from './inbox.js';
import { refusalOf, refuseRoutes } from './refuse-routes.js';

/**
 * An advert snapshot: replaces all of the agent's routes with the accepted ones and records its sync position
 * and identity in the next group commit, then sends the agent its full set of central routes. An agent whose
 * strategy the hub fixed to `none`, or that declares `none` itself, has none of its routes accepted
 * (refuseRoutes). A snapshot in parts (`more`) is applied once its last part arrived; a part out of order asks
 * for a resync. A snapshot whose agent is gone by the commit (disconnected, revoked) changes nothing.
 */
export function handleSnapshot(ctx: SyncContext, agentId: string, message: AdvertSnapshot): void {
  const part = ctx.snapshotParts.add(agentId, message);
  switch (part.type) {
    case 'partial':
      ctx.logger.debug({ agentId, parts: part.parts }, 'snapshot part held');
      return;
    case 'refused':
      void requestResync(ctx, agentId, part.reason);
      return;
    case 'complete':
      return applySnapshot(ctx, agentId, message, part.routes);
  }
}

function applySnapshot(
  ctx: SyncContext,
  agentId: string,
  message: AdvertSnapshot,
  routes: AdvertSnapshot['routes'],
): void {
  const { stages } = ctx.metrics;
  const accepted = stages.time('snapshot', () => {
    const refusal = refusalOf(ctx.agents.get(agentId), message.strategy);
    if (refusal) refuseRoutes(ctx, agentId, refusal, routes.length, message.strategy);
    return refusal ? [] : acceptRoutes(ctx, agentId, routes);
  });
  const { epoch, seq, strategy, site, labels } = message;
  ctx.commits.enqueue(
    () => {
      if (agentGone(ctx, agentId)) return undefined;
      const at = ctx.clock.now();
      const events = ctx.table.replaceOrigin(agentId, accepted);
      ctx.agents.recordSnapshot(agentId, { epoch, seq, strategy, site, labels, at });
      return { events, at };
    },
    (applied) => {
      if (!applied) return ctx.logger.debug({ agentId }, 'snapshot of a disconnected agent dropped');
      stages.time('events', () => {
        ctx.bus.emitRouteEvents(applied.events);
        if (message.outbox) ctx.telemetry.recordOutbox(agentId, message.outbox, applied.at);
        announceAgent(ctx, agentId);
      });
      ctx.logger.debug(
        { agentId, routes: accepted.length, events: applied.events.length },
        'snapshot applied',
      );
      stages.time('answer', () => void ctx.distribution.sendFull(agentId, { id: agentId, site, labels }));
    },
  );
}
