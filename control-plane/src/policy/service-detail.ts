import {
  DEFAULT_POLICY,
  priorityOf,
  routeKey,
  serviceProtocol,
  type InstanceHealth,
  type RouteKey,
  type RouteTable,
} from '@tether/shared';
import type { InstanceView, ServiceDetail } from '../api/api-schemas.js';
import { instanceStatus } from '../api/instance-status.js';
import type { ConflictSource } from '../api/views.js';
import type { ServiceStore } from '../store/service-store.js';
import type { PolicyStore } from './policy-store.js';

/** Where instance health comes from (the route picker's HealthTracker). */
export interface HealthSource {
  snapshot(key: RouteKey, now: number): InstanceHealth;
}

export type { InstanceView, ServiceDetail };

/** What the detail view reads. */
export interface ServiceDetailDeps {
  table: RouteTable;
  services: ServiceStore;
  policies: PolicyStore;
  health: HealthSource;
  /** The service's conflicts (edges advertising a centrally defined name). */
  conflicts: ConflictSource;
}

/** A service's detail, or undefined when it has neither a route nor a policy nor a central definition. */
export function serviceDetail(deps: ServiceDetailDeps, name: string, now: number): ServiceDetail | undefined {
  const stored = deps.policies.get(name);
  const central = deps.services.get(name)?.service ?? null;
  const routes = deps.table.list({ service: name });
  if (!stored && !central && routes.length === 0) return undefined;
  const policy = stored?.policy ?? DEFAULT_POLICY;
  const instances = routes.map((route): InstanceView => {
    const key = routeKey(route);
    const health = deps.health.snapshot(key, now);
    return {
      key,
      protocol: serviceProtocol(route.address),
      ...route,
      priority: priorityOf(policy, route),
      ...health,
      status: instanceStatus({ state: route.state, ...health }),
      ejectedUntil: health.ejectedUntil === null ? null : new Date(health.ejectedUntil).toISOString(),
    };
  });
  const conflicts = deps.conflicts.conflictsOf(name, routes);
  return { name, policy, policySource: stored?.source ?? 'default', central, instances, conflicts };
}
