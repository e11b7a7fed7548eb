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
 * The recent events of each agent, in memory: the last `perAgent` per agent (oldest dropped), for the agent
 * detail page. Agents' histories are capped at `maxAgents` (the least recently active is forgotten).
 */
export class EventLog {
  readonly #perAgent: number;
  readonly #maxAgents: number;
  readonly #clock: Pick<Clock, 'now'>;
  readonly #byAgent = new Map<string, TimedEvent[]>();

  constructor(options: { clock: Pick<Clock, 'now'>; perAgent?: number; maxAgents?: number }) {
    this.#clock = options.clock;
    this.#perAgent = options.perAgent ?? 30;
    this.#maxAgents = options.maxAgents ?? 1000;
  }

  /** Records every event of `bus` that concerns an agent; returns the function that stops it. */
  attach(bus: EventBus): () => void {
    return bus.subscribe((event) => this.record(event));
  }

  /** Records one event (ignored when it concerns no agent). */
  record(event: ControlPlaneEvent): void {
    const agent = agentOf(event);
    if (agent === undefined) return;
    const list = this.#byAgent.get(agent) ?? [];
    this.#byAgent.delete(agent); // re-inserted last: Map order is recency
    list.push({ at: this.#clock.now(), event });
    if (list.length > this.#perAgent) list.splice(0, list.length - this.#perAgent);
    this.#byAgent.set(agent, list);
    if (this.#byAgent.size > this.#maxAgents) {
      const oldest = this.#byAgent.keys().next().value;
      if (oldest !== undefined) this.#byAgent.delete(oldest);
    }
  }

  /** The agent's recent events, newest first. */
  recent(agentId: string): TimedEvent[] {
    return [...(this.#byAgent.get(agentId) ?? [])].reverse();
  }
}
