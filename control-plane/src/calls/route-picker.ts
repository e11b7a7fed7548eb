import type { Route, ServiceProtocol } from '@tether/shared';

/** Who makes a call: a central client (through the gateway) or an edge agent (through its tunnel). */
export interface CallerInfo {
  kind: 'central' | 'edge';
  id: string;
  site?: string;
}
/** How one attempt on a route ended; `cancelled` (the caller went away) is no verdict on the instance. */
export interface CallOutcome {
  ok: boolean;
  kind?: 'failure' | 'timeout' | 'cancelled';
  latencyMs: number;
}
/** Chooses the route of each call attempt and hears how it went (the selection policy plugs in here). */
export interface RoutePicker {
  /**
   * Picks a route speaking `protocol` (default http) for one attempt. Throws RouteNotFoundError (unknown service),
   * WrongProtocolError (no instance speaks it), ForbiddenError (edge->edge not allowed), NoHealthyInstanceError or
   * AgentOfflineError (nothing usable).
   */
  pick(service: string, caller: CallerInfo, exclude: ReadonlySet<string>, protocol?: ServiceProtocol): Route;
  /** True when some route of `service` exists (its name may label metrics; others are `(unknown)`). */
  knows(service: string): boolean;
  /** Marks a call started on a route (calls in flight); returns the function that records its outcome. */
  begin(routeKey: string): (outcome: CallOutcome) => void;
}
