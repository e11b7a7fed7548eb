import {
  advertRefusal,
  advertRefusalMessage,
  type AdvertRefusal,
  type AdvertiseStrategy,
} from '@tether/shared';
import type { AgentRecord } from '../../store/agent-store.js';
import type { SyncContext } from './context.js';
import { sendError } from './inbox.js';

/** Why an agent's adverts are refused now (see `advertRefusal`): its fixed strategy, else what it declares. */
export function refusalOf(
  agent: Pick<AgentRecord, 'fixedStrategy' | 'strategy'> | undefined,
  declared: AdvertiseStrategy | null = agent?.strategy ?? null,
): AdvertRefusal | undefined {
  return advertRefusal(agent?.fixedStrategy, declared);
}

/**
 * Refuses the routes of an advert whose agent may not advertise (hub-enforced strategy): none is stored. When it
 * carried any, they are counted (`tether_refused_routes_total`), the refusal is audited once per agent
 * (`routes-refused`), logged, and the agent is told what to do (`error` code `routes_refused`).
 */
export function refuseRoutes(
  ctx: SyncContext,
  agentId: string,
  refusal: AdvertRefusal,
  routes: number,
  declared: AdvertiseStrategy | null,
): void {
  if (routes === 0) return;
  ctx.metrics.refusedRoutes.inc({ reason: refusal.replace('-', '_') }, routes);
  const audited = ctx.audit.recordOnce({
    kind: 'routes-refused',
    agentId,
    actor: 'hub',
    detail: { reason: refusal, declared, routes },
  });
  const log = { agentId, reason: refusal, declared, routes };
  if (audited) ctx.logger.warn(log, 'advertised routes refused: the agent may not advertise');
  else ctx.logger.debug(log, 'advertised routes refused again');
  void sendError(ctx, agentId, 'routes_refused', advertRefusalMessage(refusal, routes));
}
