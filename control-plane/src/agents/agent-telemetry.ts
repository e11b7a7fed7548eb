import type { OutboxStats } from '@tether/shared';

/** What an agent last told the hub about itself beyond its routes (kept in memory: it is refreshed often). */
export interface AgentFigures {
  outbox: OutboxStats;
  /** When the hub received them, epoch ms. */
  at: number;
}

/** The latest figures each agent reported with its digests (report outbox depth and age). */
export class AgentTelemetry {
  readonly #figures = new Map<string, AgentFigures>();

  /** Records an agent's outbox figures as of `at`. */
  recordOutbox(agentId: string, outbox: OutboxStats, at: number): void {
    this.#figures.set(agentId, { outbox, at });
  }

  /** The agent's latest figures, if it sent any since the hub started. */
  get(agentId: string): AgentFigures | undefined {
    return this.#figures.get(agentId);
  }
}
