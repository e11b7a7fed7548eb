import type { Clock } from '@tether/shared';
import type { ControlPlaneEvent, EventBus } from './event-bus.js';
import type { TimedEvent } from '../api/api-schemas.js';

/** The agent an event is about: the route's origin, or the agent of an agent event; none for the others. */
function agentOf(event: ControlPlaneEvent): string | undefined {
  switch (event.type) {
    case 'route-created':
    case 'route-updated':
    case 'route-deleted':
      return event.route.originKind === 'edge' ? event.route.origin : undefined;
    case 'agent-online':
    case 'agent-offline':
      return event.agentId;
    case 'agent-updated':
      return event.agent.id;
    case 'policy-updated':
    case 'stats':
      return undefined;
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}

/**
 * Recent events in memory: the last `overall` of every kind but stats (the overview preloads them), and the last
 * `perAgent` of each agent (the agent detail page). Agents' histories are capped at `maxAgents` (the least
 * recently active is forgotten).
 */
export class EventLog {
  readonly #perAgent: number;
  readonly #maxAgents: number;
  readonly #overall: number;
  readonly #clock: Pick<Clock, 'now'>;
  readonly #byAgent = new Map<string, TimedEvent[]>();
  readonly #all: TimedEvent[] = [];

  constructor(options: {
    clock: Pick<Clock, 'now'>;
    perAgent?: number;
    maxAgents?: number;
    overall?: number;
  }) {
    this.#clock = options.clock;
    this.#perAgent = options.perAgent ?? 30;
    this.#maxAgents = options.maxAgents ?? 1000;
    this.#overall = options.overall ?? 100;
  }

  /** Records every event of `bus` that concerns an agent; returns the function that stops it. */
  attach(bus: EventBus): () => void {
    return bus.subscribe((event) => this.record(event));
  }

  /** Records one event (stats are not kept; an event of no agent only in the overall list). */
  record(event: ControlPlaneEvent): void {
    if (event.type === 'stats') return;
    const timed = { at: this.#clock.now(), event };
    this.#all.push(timed);
    if (this.#all.length > this.#overall) this.#all.splice(0, this.#all.length - this.#overall);
    const agent = agentOf(event);
    if (agent === undefined) return;
    const list = this.#byAgent.get(agent) ?? [];
    this.#byAgent.delete(agent); // re-inserted last: Map order is recency
    list.push(timed);
    if (list.length > this.#perAgent) list.splice(0, list.length - this.#perAgent);
    this.#byAgent.set(agent, list);
    if (this.#byAgent.size > this.#maxAgents) {
      const oldest = this.#byAgent.keys().next().value;
      if (oldest !== undefined) this.#byAgent.delete(oldest);
    }
  }

  /** The recent events of every agent and service, newest first. */
  recentAll(): TimedEvent[] {
    return [...this.#all].reverse();
  }

  /** The agent's recent events, newest first. */
  recent(agentId: string): TimedEvent[] {
    return [...(this.#byAgent.get(agentId) ?? [])].reverse();
  }
}
