import { randomBytes } from 'node:crypto';
import {
  byKey,
  CENTRAL,
  diffRoutes,
  isEmptyDelta,
  PROTOCOL_VERSION,
  routesForEdge,
  type EdgeIdentity,
  type Route,
  type RouteKey,
  type RouteTable,
  type Transport,
} from '@tether/shared';
import type { Logger } from '../../observability/logger.js';
import type { AgentStore } from '../../store/agent-store.js';
import type { ServiceStore } from '../../store/service-store.js';
import { sendToInbox } from './inbox.js';

interface Session {
  epoch: string;
  seq: number;
  /** The central routes last sent, or undefined before the first full send. */
  lastSent: Map<RouteKey, Route> | undefined;
  /** Who the agent is, as of its last snapshot (site and labels decide what it may see). */
  edge: EdgeIdentity | undefined;
}

/** What distribution reads and writes. */
export interface DistributionDeps {
  table: RouteTable;
  agents: AgentStore;
  services: ServiceStore;
  transport: Transport;
  logger: Logger;
}

/**
 * Hub -> agent route distribution. Per connected agent: a random epoch, a seq, and the central routes last sent.
 * Every set sent goes through `routesForEdge`, so an edge never receives another edge's routes.
 */
export class Distribution {
  readonly #deps: DistributionDeps;
  readonly #sessions = new Map<string, Session>();

  constructor(deps: DistributionDeps) {
    this.#deps = deps;
  }

  /** Starts a session for a newly connected agent (a fresh epoch). */
  open(agentId: string): void {
    this.#sessions.set(agentId, {
      epoch: randomBytes(8).toString('hex'),
      seq: -1,
      lastSent: undefined,
      edge: undefined,
    });
  }

  /** Ends an agent's session. */
  close(agentId: string): void {
    this.#sessions.delete(agentId);
  }

  /** Sends the agent its whole set of visible central routes (`full: true`). */
  async sendFull(agentId: string): Promise<void> {
    const session = this.#sessions.get(agentId);
    if (!session) return;
    // A full send follows a snapshot, which may have changed the agent's site or labels: read them afresh.
    session.edge = this.#edge(agentId);
    const routes = session.edge ? this.#visibleTo(session.edge) : [];
    session.seq += 1;
    session.lastSent = byKey(routes);
    await sendToInbox(this.#deps, agentId, {
      v: PROTOCOL_VERSION,
      type: 'agent-routes',
      epoch: session.epoch,
      seq: session.seq,
      full: true,
      upserts: routes,
      removes: [],
    });
  }

  /** After central services changed: sends each synced agent the non-empty delta of what it may see. */
  async centralChanged(): Promise<void> {
    const sends: Promise<void>[] = [];
    const central = this.#deps.table.list({ originKind: 'central', origin: CENTRAL });
    const visibility = this.#deps.services.visibility();
    for (const [agentId, session] of this.#sessions) {
      if (!session.lastSent || !session.edge) continue;
      const now = byKey(routesForEdge(central, session.edge, visibility));
      const delta = diffRoutes(session.lastSent, now);
      if (isEmptyDelta(delta)) continue;
      session.seq += 1;
      session.lastSent = now;
      sends.push(
        sendToInbox(this.#deps, agentId, {
          v: PROTOCOL_VERSION,
          type: 'agent-routes',
          epoch: session.epoch,
          seq: session.seq,
          full: false,
          ...delta,
        }),
      );
    }
    await Promise.all(sends);
  }

  #visibleTo(edge: EdgeIdentity): Route[] {
    const central = this.#deps.table.list({ originKind: 'central', origin: CENTRAL });
    return routesForEdge(central, edge, this.#deps.services.visibility());
  }

  #edge(agentId: string): EdgeIdentity | undefined {
    const agent = this.#deps.agents.get(agentId);
    return agent ? { id: agent.id, site: agent.site ?? '', labels: agent.labels } : undefined;
  }
}
