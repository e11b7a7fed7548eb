import type { StoredRolloutState, StoredTargetState } from '../../store/upgrade-store.js';

/** Where one agent of a rollout stands. */
export type TargetState = StoredTargetState;
/** Where a rollout stands. */
export type RolloutState = StoredRolloutState;

/** One agent of a rollout, in rollout order (canaries first). */
export interface PolicyTarget {
  agentId: string;
  state: TargetState;
}

/** The rollout's rules: how many canaries go first, how many failures stop it, how many agents at once. */
export interface RolloutRules {
  canary: number;
  maxFailures: number;
  /** At most this many agents receiving a build at once after the canaries. */
  parallel: number;
}

/** What to do next: agents to send the build to now, agents to skip, and the rollout's state. */
export interface RolloutStep {
  start: string[];
  skip: string[];
  state: RolloutState;
  reason?: string;
}

const FAILED: ReadonlySet<TargetState> = new Set(['rolled-back', 'refused', 'timed-out']);
const FINISHED: ReadonlySet<TargetState> = new Set([
  'upgraded',
  'rolled-back',
  'refused',
  'timed-out',
  'skipped',
]);

/** Silence beyond the new build's deadline before the hub gives up on an agent: verifying and restarting. */
export const SILENCE_GRACE_MS = 5_000;

/**
 * How long an agent receiving a build may go unheard (no chunk request, no outcome) before it counts as failed
 * (`timed-out`): twice the rollout's deadline (the new build's time to connect, then the report) plus a grace.
 */
export function silenceLimitMs(deadlineMs: number): number {
  return 2 * deadlineMs + SILENCE_GRACE_MS;
}

/**
 * The agents in flight (`sending`) not heard from for longer than `limitMs` at `now`: an agent that died in the
 * middle of its hand-over, went away for good, or is too old to take upgrades (it ignores the offer).
 */
export function overdueTargets(
  targets: readonly PolicyTarget[],
  lastHeard: (agentId: string) => number,
  now: number,
  limitMs: number,
): string[] {
  return targets
    .filter((t) => t.state === 'sending' && now - lastHeard(t.agentId) > limitMs)
    .map((t) => t.agentId);
}

/**
 * The rollout policy, pure: the first `canary` targets go first; only once every canary upgraded do the rest go,
 * `parallel` at a time; `maxFailures` failures (rolled back, refused or timed out) stop the rollout and skip the agents not
 * started yet. Only connected agents are started (the others wait for their connect). Done when every target
 * finished.
 */
export function rolloutStep(
  rules: RolloutRules,
  targets: readonly PolicyTarget[],
  isConnected: (agentId: string) => boolean,
): RolloutStep {
  const failures = targets.filter((t) => FAILED.has(t.state)).length;
  const pending = targets.filter((t) => t.state === 'pending').map((t) => t.agentId);
  if (failures >= rules.maxFailures) {
    const inFlight = targets.some((t) => t.state === 'sending');
    return {
      start: [],
      skip: pending,
      state: inFlight ? 'running' : 'stopped',
      reason: `${failures} agent(s) failed to upgrade (limit ${rules.maxFailures}): the rollout stopped`,
    };
  }
  if (targets.every((t) => FINISHED.has(t.state))) return { start: [], skip: [], state: 'done' };
  const canaries = targets.slice(0, rules.canary);
  const wave = canaries.every((t) => t.state === 'upgraded') ? targets : canaries;
  const sending = targets.filter((t) => t.state === 'sending').length;
  const room = Math.max(0, (wave === canaries ? rules.canary : rules.parallel) - sending);
  const start = wave
    .filter((t) => t.state === 'pending' && isConnected(t.agentId))
    .slice(0, room)
    .map((t) => t.agentId);
  return { start, skip: [], state: 'running' };
}
