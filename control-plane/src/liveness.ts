import type { Aedes, Client } from 'aedes';
import type BetterSqlite3 from 'better-sqlite3';
import type { Clock, RouteTable } from '@tether/shared';
import type { Distribution } from './distribution.js';
import type { EventBus } from './event-bus.js';
import type { Logger } from './logger.js';
import type { AgentStore } from './store/agent-store.js';

/** What liveness tracking needs. */
export interface LivenessDeps {
  db: BetterSqlite3.Database;
  table: RouteTable;
  agents: AgentStore;
  distribution: Distribution;
  bus: EventBus;
  logger: Logger;
  clock: Clock;
}

/**
 * Agent liveness from the broker's connection events (authoritative). The client object is tracked per agent id,
 * so the disconnect of a connection that was taken over does not mark its successor offline. Connecting alone
 * does not activate routes (the snapshot does); disconnecting marks the agent offline and its routes stale.
 */
export class Liveness {
  readonly #deps: LivenessDeps;
  readonly #clients = new Map<string, Client>();

  constructor(deps: LivenessDeps) {
    this.#deps = deps;
  }

  /** Listens to a broker's `client` and `clientDisconnect` events. */
  attach(broker: Aedes): void {
    broker.on('client', (client) => this.#guard(() => this.connected(client)));
    broker.on('clientDisconnect', (client) => this.#guard(() => this.disconnected(client)));
  }

  /** True while the agent holds a live connection. */
  isConnected(agentId: string): boolean {
    return this.#clients.has(agentId);
  }

  /** How many agents are connected. */
  get size(): number {
    return this.#clients.size;
  }

  /** A client finished connecting (authenticated). */
  connected(client: Client): void {
    const { agents, distribution, bus, clock, logger } = this.#deps;
    this.#clients.set(client.id, client);
    agents.setOnline(client.id, clock.now());
    distribution.open(client.id);
    logger.info({ agentId: client.id }, 'agent connected');
    bus.emit({ type: 'agent-online', agentId: client.id });
  }

  /** A client's connection closed (cleanly, by timeout, by RST or by takeover). */
  disconnected(client: Client): void {
    const { db, table, agents, distribution, bus, clock, logger } = this.#deps;
    if (this.#clients.get(client.id) !== client) return;
    this.#clients.delete(client.id);
    distribution.close(client.id);
    const now = clock.now();
    const events = db
      .transaction(() => {
        agents.setOffline(client.id, now);
        return table.markStale({ origin: client.id }, now);
      })
      .immediate();
    bus.emitRouteEvents(events);
    logger.info({ agentId: client.id, staleRoutes: events.length }, 'agent disconnected');
    bus.emit({ type: 'agent-offline', agentId: client.id });
  }

  /**
   * Ends an agent's connection now (revocation): offline and routes stale at once, so nothing more it sent is
   * taken, then its socket closed. False when it was not connected.
   */
  kick(agentId: string): boolean {
    const client = this.#clients.get(agentId);
    if (!client) return false;
    this.disconnected(client);
    client.close();
    return true;
  }

  #guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#deps.logger.error({ err }, 'liveness update failed');
    }
  }
}
