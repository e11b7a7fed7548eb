import {
  acceptAdvert,
  type AdvertDelta,
  type AdvertRefusal,
  type Route,
  type RouteEvent,
} from '@tether/shared';
import { reportRejected } from './accept-routes.js';
import { agentGone } from './agent-gone.js';
import type { SyncContext } from './context.js';
import { requestResync } from './inbox.js';
import { refusalOf, refuseRoutes } from './refuse-routes.js';

type DeltaOutcome =
  | { type: 'gone' }
  | { type: 'resync'; reason: string }
  | { type: 'applied'; events: RouteEvent[]; refusal: AdvertRefusal | undefined; rejected: Route[] };

/**
 * An advert delta, in the next group commit: applied only when its epoch is the stored one and its seq the stored
 * one plus one (as stored by then: a snapshot queued before it counts); otherwise nothing changes and the agent is
 * asked to resync. Removes touch only keys the agent owns. Upserts of an agent that may not advertise (hub-fixed
 * or declared `none`) are refused; its position still moves on. A delta whose agent is gone by the commit
 * (disconnected, revoked) changes nothing: a revocation withdrew its routes outside this queue.
 */
export function handleDelta(ctx: SyncContext, agentId: string, message: AdvertDelta): void {
  ctx.commits.enqueue(
    (): DeltaOutcome => {
      const agent = ctx.agents.get(agentId);
      if (agentGone(ctx, agentId)) return { type: 'gone' };
      if (!agent || agent.epoch === null || agent.seq === null || agent.epoch !== message.epoch) {
        return { type: 'resync', reason: 'unknown epoch' };
      }
      if (message.seq !== agent.seq + 1) {
        return { type: 'resync', reason: `sequence gap: expected ${agent.seq + 1}, got ${message.seq}` };
      }
      const refusal = refusalOf(agent);
      const { accepted, rejected } = refusal
        ? { accepted: [], rejected: [] }
        : acceptAdvert(agentId, message.upserts);
      const owned = message.removes.filter((key) => ctx.table.get(key)?.origin === agentId);
      const events = ctx.table.apply(accepted, owned);
      ctx.agents.recordPosition(agentId, message.seq, ctx.clock.now());
      return { type: 'applied', events, refusal, rejected };
    },
    (outcome) => {
      switch (outcome.type) {
        case 'gone':
          return ctx.logger.debug({ agentId }, 'delta of a disconnected or revoked agent dropped');
        case 'resync':
          return void requestResync(ctx, agentId, outcome.reason);
        case 'applied': {
          const agent = ctx.agents.get(agentId);
          if (outcome.refusal)
            refuseRoutes(ctx, agentId, outcome.refusal, message.upserts.length, agent?.strategy ?? null);
          reportRejected(ctx, agentId, outcome.rejected);
          return ctx.metrics.stages.time('events', () => ctx.bus.emitRouteEvents(outcome.events));
        }
        default: {
          const unreachable: never = outcome;
          return unreachable;
        }
      }
    },
  );
}
