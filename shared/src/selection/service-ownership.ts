import { CENTRAL } from '../ids.js';
import type { Route } from '../route.js';
import type { ServicePolicy } from './service-policy.js';

/** True for the hub's own route of a service: its central definition (config file or API). */
export function isCentralRoute(route: Route): boolean {
  return route.originKind === 'central' && route.origin === CENTRAL;
}

/**
 * True when the hub owns the service name: among the service's routes is its central definition (CentralServices
 * writes that route in the same transaction as the definition, so the routes alone tell).
 */
export function isCentrallyDefined(routes: readonly Route[]): boolean {
  return routes.some(isCentralRoute);
}

/** True when the policy lets this agent's instances serve a centrally defined service (`allowEdgeInstances`). */
export function allowsEdgeInstance(policy: ServicePolicy, agentId: string): boolean {
  return policy.allowEdgeInstances.includes('*') || policy.allowEdgeInstances.includes(agentId);
}

/** True when an edge route of a centrally defined service is a conflict: the policy does not admit its agent. */
function conflicts(route: Route, centrallyDefined: boolean, policy: ServicePolicy): boolean {
  return centrallyDefined && !isCentralRoute(route) && !allowsEdgeInstance(policy, route.origin);
}

/** One service's routes split by name ownership: the instances that may serve calls, and the conflicts. */
export interface Admission {
  instances: Route[];
  conflicts: Route[];
}

/**
 * Service names have owners. The routes of ONE service: when the hub defines it centrally, its central routes
 * and the edge routes of agents the policy lists in `allowEdgeInstances` are instances, every other edge route is
 * a conflict, kept out of selection for every caller (central and edge, the advertising edge itself included).
 * A service the hub does not define belongs to the edges offering it: every route is an instance.
 */
export function admitInstances(routes: readonly Route[], policy: ServicePolicy): Admission {
  const central = isCentrallyDefined(routes);
  const admission: Admission = { instances: [], conflicts: [] };
  for (const r of routes) (conflicts(r, central, policy) ? admission.conflicts : admission.instances).push(r);
  return admission;
}

/** The agents whose routes of one service are conflicts, each once, sorted. */
export function conflictingAgents(routes: readonly Route[], policy: ServicePolicy): string[] {
  return [...new Set(admitInstances(routes, policy).conflicts.map((r) => r.origin))].sort();
}

/** What to do with the recorded conflicts of one service: record `open`, forget `close`. */
export interface ConflictChanges {
  open: string[];
  close: string[];
}

/**
 * Reconciles the recorded conflicts of ONE service (`recorded`: agent ids) with its routes now. A conflicting
 * agent not yet recorded is opened (recorded, counted and audited once). A record is closed only when its reason
 * is gone: the hub no longer defines the name, or the policy now admits the agent. An agent that merely withdrew
 * or lost its route keeps its record, so advertising the name again, or reconnecting, is no new conflict.
 */
export function reconcileConflicts(
  recorded: readonly string[],
  routes: readonly Route[],
  policy: ServicePolicy,
): ConflictChanges {
  const central = isCentrallyDefined(routes);
  const known = new Set(recorded);
  const open = conflictingAgents(routes, policy).filter((agent) => !known.has(agent));
  const close = [...known].filter((agent) => !central || allowsEdgeInstance(policy, agent)).sort();
  return { open, close };
}
