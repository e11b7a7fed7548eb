import type { AdvertSnapshot, Route } from '@tether/shared';

/** What adding one snapshot part gives: wait for more, the whole set, or a refusal (the agent must resync). */
export type PartOutcome =
  | { type: 'partial'; parts: number }
  | { type: 'complete'; routes: Route[] }
  | { type: 'refused'; reason: string };

interface Pending {
  epoch: string;
  seq: number;
  routes: Route[];
}

/**
 * Snapshots too big for one packet arrive in parts (`more`: seq 0, 1, ... in one epoch). This holds each agent's
 * parts until the last one, bounded: at most `maxRoutes` routes per snapshot, at most `maxAgents` snapshots in
 * the making (the oldest is forgotten first; its agent's next part is then refused and it resyncs).
 */
export class SnapshotParts {
  readonly #pending = new Map<string, Pending>();
  readonly #maxRoutes: number;
  readonly #maxAgents: number;

  constructor(maxRoutes = 200_000, maxAgents = 1_000) {
    this.#maxRoutes = maxRoutes;
    this.#maxAgents = maxAgents;
  }

  /** Snapshots in the making. */
  get size(): number {
    return this.#pending.size;
  }

  /** Adds one snapshot message (a whole snapshot is one part without `more`). */
  add(agentId: string, message: AdvertSnapshot): PartOutcome {
    const previous = this.#pending.get(agentId);
    this.#pending.delete(agentId);
    let routes: Route[];
    if (message.seq === 0) routes = message.routes;
    else if (previous && previous.epoch === message.epoch && previous.seq + 1 === message.seq)
      routes = previous.routes.concat(message.routes);
    else
      return {
        type: 'refused',
        reason: `snapshot part ${message.seq} of epoch ${message.epoch} out of order`,
      };
    if (routes.length > this.#maxRoutes)
      return { type: 'refused', reason: `snapshot of more than ${this.#maxRoutes} routes` };
    if (!message.more) return { type: 'complete', routes };
    if (this.#pending.size >= this.#maxAgents) {
      const oldest = this.#pending.keys().next().value;
      if (oldest !== undefined) this.#pending.delete(oldest);
    }
    this.#pending.set(agentId, { epoch: message.epoch, seq: message.seq, routes });
    return { type: 'partial', parts: message.seq + 1 };
  }

  /** Forgets an agent's snapshot in the making (it disconnected). */
  drop(agentId: string): void {
    this.#pending.delete(agentId);
  }
}
