import type { Clock } from '@tether/shared';

/** How far one agent has fetched a rollout's build, and when it was last heard from. */
interface AgentProgress {
  fetchedBytes: number;
  heardAt: number | undefined;
}

/**
 * The delivery's memory, by rollout then agent: the bytes each agent in flight has fetched and when it was last
 * heard from (an offer or a chunk request). Kept only while needed: an agent's entry goes when its target ends, a
 * rollout's when the rollout ends, so the maps hold the agents in flight, never every rollout times every agent.
 */
export class DeliveryProgress {
  readonly #clock: Clock;
  readonly #rollouts = new Map<string, Map<string, AgentProgress>>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Agent `agentId` was heard from for `rolloutId` now. */
  heard(rolloutId: string, agentId: string): void {
    this.#entry(rolloutId, agentId).heardAt = this.#clock.now();
  }

  /** Agent `agentId` has fetched `bytes` of `rolloutId`'s build (and was heard from now). */
  fetched(rolloutId: string, agentId: string, bytes: number): void {
    const entry = this.#entry(rolloutId, agentId);
    entry.fetchedBytes = bytes;
    entry.heardAt = this.#clock.now();
  }

  /** The bytes of `rolloutId`'s build that agent `agentId` has fetched so far (0 when not in flight). */
  fetchedBytes(rolloutId: string, agentId: string): number {
    return this.#rollouts.get(rolloutId)?.get(agentId)?.fetchedBytes ?? 0;
  }

  /** When agent `agentId` was last heard from for `rolloutId` (epoch ms), if it is in flight and was heard. */
  heardAt(rolloutId: string, agentId: string): number | undefined {
    return this.#rollouts.get(rolloutId)?.get(agentId)?.heardAt;
  }

  /** Agent `agentId`'s target in `rolloutId` ended (upgraded, rolled back, refused, timed out): forget it. */
  targetEnded(rolloutId: string, agentId: string): void {
    const agents = this.#rollouts.get(rolloutId);
    agents?.delete(agentId);
    if (agents?.size === 0) this.#rollouts.delete(rolloutId);
  }

  /**
   * Rollout `rolloutId` ended (done, stopped, cancelled): forget its agents, except `stillSending` (a stopped
   * rollout lets the agents already receiving finish; each is forgotten when its own target ends).
   */
  rolloutEnded(rolloutId: string, stillSending: Iterable<string> = []): void {
    const agents = this.#rollouts.get(rolloutId);
    if (!agents) return;
    const keep = new Set(stillSending);
    for (const agentId of [...agents.keys()]) if (!keep.has(agentId)) agents.delete(agentId);
    if (agents.size === 0) this.#rollouts.delete(rolloutId);
  }

  /** The number of agents remembered, over every rollout (for tests and metrics). */
  get size(): number {
    let n = 0;
    for (const agents of this.#rollouts.values()) n += agents.size;
    return n;
  }

  #entry(rolloutId: string, agentId: string): AgentProgress {
    let agents = this.#rollouts.get(rolloutId);
    if (!agents) this.#rollouts.set(rolloutId, (agents = new Map<string, AgentProgress>()));
    let entry = agents.get(agentId);
    if (!entry) agents.set(agentId, (entry = { fetchedBytes: 0, heardAt: undefined }));
    return entry;
  }
}
