/** Route selection: service policies, name ownership, choosing a route, instance health and latency. */

// Policies and ownership: what a service allows and who may define it.
export {
  DEFAULT_EJECTION,
  DEFAULT_POLICY,
  DEFAULT_PRIORITY,
  type Ejection,
  EjectionSchema,
  hasLabels,
  matchesRoute,
  passesFilter,
  priorityOf,
  type RouteMatch,
  RouteMatchSchema,
  type ServicePolicy,
  type ServicePolicyInput,
  ServicePolicySchema,
  weightGroupOf,
} from './service-policy.js';
export {
  type Admission,
  admitInstances,
  allowsEdgeInstance,
  type ConflictChanges,
  conflictingAgents,
  isCentrallyDefined,
  isCentralRoute,
  reconcileConflicts,
} from './service-ownership.js';

// Choosing: the route for a call, instance health, latency, which methods may be retried.
export {
  type Caller,
  mayCall,
  type NoRouteReason,
  type SelectionContext,
  selectRoute,
  usableRoutes,
  whyNoRoute,
} from './select-route.js';
export { type CallToken, type HealthState, HealthTracker, type InstanceHealth } from './health-tracker.js';
export { type LatencySummary, LatencyWindow } from './latency-window.js';
export { isIdempotent } from './idempotent.js';
