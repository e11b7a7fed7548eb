import { isVisibleTo, type EdgeIdentity, type Visibility } from './central-service.js';
import { CENTRAL } from './ids.js';
import type { Route } from './route.js';

/** The result of checking an agent's advertised routes: what the hub stores and what it drops. */
export interface AcceptedAdvert {
  accepted: Route[];
  rejected: Route[];
}

/**
 * Checks an edge's advert: a route whose origin is not the sending agent is rejected (an edge may only speak
 * for itself). Accepted routes are stored as `edge` routes, active.
 */
export function acceptAdvert(agentId: string, routes: readonly Route[]): AcceptedAdvert {
  const accepted: Route[] = [];
  const rejected: Route[] = [];
  for (const r of routes) {
    if (r.origin === agentId) {
      const { staleSince: _omit, ...rest } = r;
      accepted.push({ ...rest, originKind: 'edge', state: 'active' });
    } else rejected.push(r);
  }
  return { accepted, rejected };
}

/**
 * Hub-and-spoke policy: the routes the hub sends one edge are the central services that edge may see, and
 * never a route another edge originated. `visibility` maps a central service name to its rule.
 */
export function routesForEdge(
  routes: readonly Route[],
  edge: EdgeIdentity,
  visibility: ReadonlyMap<string, Visibility | undefined>,
): Route[] {
  return routes.filter(
    (r) =>
      r.originKind === 'central' &&
      r.origin === CENTRAL &&
      visibility.has(r.service) &&
      isVisibleTo(visibility.get(r.service), edge),
  );
}
