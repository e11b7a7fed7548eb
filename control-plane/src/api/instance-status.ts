/** What an operator needs to tell apart about a service instance, worst first. */
export const INSTANCE_STATUSES = ['unreachable', 'ejected', 'failing', 'half-open', 'healthy'] as const;
/** One instance status (the dashboard's badge and legend). */
export type InstanceStatus = (typeof INSTANCE_STATUSES)[number];

/** What each status means, for legends and help. */
export const INSTANCE_STATUS_MEANING: Readonly<Record<InstanceStatus, string>> = {
  unreachable: 'its agent is disconnected (route stale): calls cannot reach it',
  ejected: 'its recent calls failed: kept out of selection for a while',
  failing: 'its last call failed; ejected if failures go on',
  'half-open': 'back from an ejection: one trial call decides',
  healthy: 'reachable, and its last call (if any) succeeded',
};

/**
 * An instance's status from its liveness (the route's state) and its passive health (calls): a stale route is
 * unreachable whatever its last calls said, then the health tracker's verdict, then the last call's outcome.
 */
export function instanceStatus(instance: {
  state: 'active' | 'stale';
  health: 'healthy' | 'ejected' | 'half-open';
  consecutiveFailures: number;
}): InstanceStatus {
  if (instance.state === 'stale') return 'unreachable';
  if (instance.health !== 'healthy') return instance.health;
  return instance.consecutiveFailures > 0 ? 'failing' : 'healthy';
}
