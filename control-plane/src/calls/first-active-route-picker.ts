import {
  AgentOfflineError,
  CENTRAL,
  ForbiddenError,
  NoHealthyInstanceError,
  RouteNotFoundError,
  routeKey,
  routesSpeaking,
  type Route,
  type RouteTable,
  type ServiceProtocol,
} from '@tether/shared';
import type { CallerInfo, CallOutcome, RoutePicker } from './route-picker.js';

/**
 * The default picker, with the behaviour any replacement must keep:
 * - no route at all for the service -> RouteNotFoundError (404);
 * - an edge caller never gets another edge's route: when the only routes belong to other edges it gets a
 *   ForbiddenError (403) saying edge-to-edge calls need a policy allowing the pair; central routes (and the
 *   caller's own) remain usable;
 * - otherwise the first active, not excluded route, by metric then key;
 * - usable routes exist but all are stale -> AgentOfflineError (503); all excluded -> NoHealthyInstanceError (503).
 */
export class FirstActiveRoutePicker implements RoutePicker {
  readonly #table: RouteTable;

  constructor(table: RouteTable) {
    this.#table = table;
  }

  knows(service: string): boolean {
    return this.#table.count({ service }) > 0;
  }

  pick(
    service: string,
    caller: CallerInfo,
    exclude: ReadonlySet<string>,
    protocol: ServiceProtocol = 'http',
  ): Route {
    const all = routesSpeaking(this.#table.list({ service }), protocol);
    if (all.length === 0) throw new RouteNotFoundError(service);
    const usable =
      caller.kind === 'edge' ? all.filter((r) => r.origin === CENTRAL || r.origin === caller.id) : all;
    if (usable.length === 0)
      throw new ForbiddenError(
        `service "${service}" runs only on other edges; edge-to-edge calls need a policy allowing the pair (${caller.id} -> ${service})`,
      );
    const candidates = usable
      .filter((r) => !exclude.has(routeKey(r)))
      .sort((a, b) => a.metric - b.metric || routeKey(a).localeCompare(routeKey(b)));
    const active = candidates.find((r) => r.state === 'active');
    if (active) return active;
    if (candidates.length > 0)
      throw new AgentOfflineError(`every route of "${service}" is stale: its agents are offline`);
    throw new NoHealthyInstanceError(`no other instance of "${service}" to try`);
  }

  begin(_routeKey: string): (outcome: CallOutcome) => void {
    return () => undefined;
  }
}
