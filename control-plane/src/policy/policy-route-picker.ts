import {
  AgentOfflineError,
  DEFAULT_POLICY,
  ForbiddenError,
  NoHealthyInstanceError,
  RouteNotFoundError,
  routesSpeaking,
  selectRoute,
  whyNoRoute,
  type Clock,
  type HealthTracker,
  type Route,
  type RouteTable,
  type ServicePolicy,
  type ServiceProtocol,
} from '@tether/shared';
import type { CallerInfo, CallOutcome, RoutePicker } from '../calls/route-picker.js';

/** What the policy picker reads. */
export interface PolicyRoutePickerDeps {
  table: Pick<RouteTable, 'list'>;
  /** The service's stored policy, if any (DEFAULT_POLICY otherwise). */
  policyOf(service: string): ServicePolicy | undefined;
  health: HealthTracker;
  clock: Pick<Clock, 'now'>;
  /** Uniform in [0, 1) (default Math.random). */
  random?: () => number;
}

/**
 * The RoutePicker of the selection policy: `selectRoute` over the service's routes with its stored policy and
 * the passive health of each instance. Keeps FirstActiveRoutePicker's errors: unknown service ->
 * RouteNotFoundError; only other edges' instances and no policy allowing the caller -> ForbiddenError; only stale
 * instances -> AgentOfflineError; otherwise nothing available -> NoHealthyInstanceError.
 */
export class PolicyRoutePicker implements RoutePicker {
  readonly #deps: PolicyRoutePickerDeps;
  readonly #random: () => number;

  constructor(deps: PolicyRoutePickerDeps) {
    this.#deps = deps;
    this.#random = deps.random ?? Math.random;
  }

  /** True when some route of `service` exists. */
  knows(service: string): boolean {
    return this.#deps.table.list({ service }).length > 0;
  }

  /** Picks the instance for one attempt (see the class comment for the errors). */
  pick(
    service: string,
    caller: CallerInfo,
    exclude: ReadonlySet<string>,
    protocol: ServiceProtocol = 'http',
  ): Route {
    const { table, health, clock } = this.#deps;
    const candidates = routesSpeaking(table.list({ service }), protocol);
    const policy = this.#policy(service);
    const now = clock.now();
    const route = selectRoute(candidates, policy, {
      caller,
      exclude,
      isAvailable: (key) => health.isAvailable(key, now),
      inflight: (key) => health.inflight(key),
      random: this.#random,
    });
    if (route) return route;
    switch (whyNoRoute(candidates, policy, caller)) {
      case 'unknown':
        throw new RouteNotFoundError(service);
      case 'forbidden':
        throw new ForbiddenError(
          `service "${service}" runs only on other edges; edge-to-edge calls need a policy allowing the pair (${caller.id} -> ${service}: allowEdgeCallers)`,
        );
      case 'filtered':
        throw new NoHealthyInstanceError(`no instance of "${service}" matches its policy filter`);
      case 'offline':
        throw new AgentOfflineError(`every usable route of "${service}" is stale: its agents are offline`);
      case 'unavailable':
        throw new NoHealthyInstanceError(
          `no healthy instance of "${service}" left to try (ejected by the circuit breaker or already tried)`,
        );
    }
  }

  /** Counts the call in flight (a half-open instance's first call is its trial); the callback records the outcome. */
  begin(routeKey: string): (outcome: CallOutcome) => void {
    const { health, clock } = this.#deps;
    const token = health.start(routeKey, clock.now());
    let done = false;
    return (outcome) => {
      if (done) return;
      done = true;
      if (outcome.kind === 'cancelled') health.release(token);
      else if (outcome.ok) health.success(token, clock.now(), outcome.latencyMs);
      else health.failure(token, clock.now(), this.#ejectionOf(routeKey), outcome.latencyMs);
    };
  }

  #policy(service: string): ServicePolicy {
    return this.#deps.policyOf(service) ?? DEFAULT_POLICY;
  }

  #ejectionOf(key: string): ServicePolicy['ejection'] {
    return this.#policy(serviceOfKey(key)).ejection;
  }
}

/** The service of a route key (`routeKey` is a JSON array starting with the service). */
function serviceOfKey(key: string): string {
  try {
    const parsed: unknown = JSON.parse(key);
    return Array.isArray(parsed) && typeof parsed[0] === 'string' ? parsed[0] : '';
  } catch {
    return '';
  }
}
