import { acceptAdvert, routeKey, type Route } from '@tether/shared';
import type { SyncContext } from './context.js';
import { sendError } from './inbox.js';

/**
 * Runs hub policy on advertised routes: returns the accepted ones; rejected ones (origin not the sender) are
 * counted, logged and answered with an `error`, never stored.
 */
export function acceptRoutes(ctx: SyncContext, agentId: string, routes: readonly Route[]): Route[] {
  const { accepted, rejected } = acceptAdvert(agentId, routes);
  reportRejected(ctx, agentId, rejected);
  return accepted;
}

/** Counts, logs and answers advertised routes hub policy rejected (origin not the sender); nothing when none. */
export function reportRejected(ctx: SyncContext, agentId: string, rejected: readonly Route[]): void {
  if (rejected.length === 0) return;
  ctx.metrics.rejectedRoutes.inc(rejected.length);
  const keys = rejected.slice(0, 5).map(routeKey);
  ctx.logger.warn(
    { agentId, count: rejected.length, keys },
    'advertised routes rejected: origin is not the sender',
  );
  void sendError(
    ctx,
    agentId,
    'route_rejected',
    `${rejected.length} route(s) rejected: an agent may only advertise routes with origin "${agentId}"`,
  );
}
