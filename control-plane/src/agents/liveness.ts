import type { Aedes, Client } from 'aedes';
import type { Clock, RouteTable } from '@tether/shared';
import type { GroupCommit } from '../db/group-commit.js';
import type { Distribution } from './sync/distribution.js';
import type { EventBus } from '../observability/event-bus.js';
import type { Logger } from '../observability/logger.js';
import type { SyncStage, SyncStages } from '../observability/sync-stages.js';
import type { AgentStore } from '../store/agent-store.js';

/** Cluster presence as Liveness sees it (cluster/presence.ts); absent on a single control plane. */
export interface PresenceView {
  announce(agentId: string, online: boolean): void;
  remoteOwner(agentId: string): string | undefined;
  readonly remoteCount: number;
}

/** What liveness tracking needs. */
export interface LivenessDeps {
  /** Where the liveness writes are queued (group commit, with route sync's). */
  commits: GroupCommit;
  table: RouteTable;
  agents: AgentStore;
  distribution: Distribution;
  bus: EventBus;
  logger: Logger;
  clock: Clock;
  stages: SyncStages;
}

/** Agents of a dead replica recorded offline per piece of the group commit (bounds how long one piece runs). */
const OFFLINE_CHUNK = 256;

/** A change of an agent's connection, told as it happens (before the group commit records it). */
export type ConnectionListener = (agentId: string, connected: boolean) => void;

/**
 * Agent liveness from the broker's connection events (authoritative). The client object is tracked per agent id,
 * so the disconnect of a connection that was taken over does not mark its successor offline. Connecting alone
 * does not activate routes (the snapshot does); disconnecting marks the agent offline and its routes stale.
 */
export class Liveness {
  readonly #deps: LivenessDeps;
  readonly #clients = new Map<string, Client>();
  readonly #listeners = new Set<ConnectionListener>();
  #presence: PresenceView | undefined;
  #stopping = false;

  constructor(deps: LivenessDeps) {
    this.#deps = deps;
  }

  /** Listens to a broker's `client` and `clientDisconnect` events. */
  attach(broker: Aedes): void {
    broker.on('client', (client) => this.#guard('connect', () => this.connected(client)));
    broker.on('clientDisconnect', (client) => this.#guard('disconnect', () => this.disconnected(client)));
  }

  /**
   * Listens to connection changes as they happen: what belongs to one connection (calls on its tunnel, a snapshot
   * in parts) ends with it, not a commit window later, when the agent may already be back. Returns a stop function.
   */
  onConnectionChange(listener: ConnectionListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #tell(agentId: string, connected: boolean): void {
    for (const listener of this.#listeners) listener(agentId, connected);
  }

  /** Joins a cluster: local connects and disconnects are announced, remote ones come in via remoteOnline/Offline. */
  joinCluster(presence: PresenceView): void {
    this.#presence = presence;
  }

  /**
   * The hub is stopping (one control plane, not a cluster member): the disconnects that follow are not recorded one
   * by one; the stop marks every agent offline and its routes stale at once (markRestarted), as a start would.
   */
  stopping(): void {
    this.#stopping = true;
  }

  /** True while the agent holds a live connection (to this replica or, in a cluster, to another live one). */
  isConnected(agentId: string): boolean {
    return this.#clients.has(agentId) || this.#presence?.remoteOwner(agentId) !== undefined;
  }

  /** True while the agent's socket is on this replica. */
  isLocal(agentId: string): boolean {
    return this.#clients.has(agentId);
  }

  /**
   * True while the agent's socket is here and no other replica has announced it since: a socket left half-open
   * here by an agent that moved stays `isLocal` until it closes, but is no longer the way to reach the agent.
   */
  holdsSocket(agentId: string): boolean {
    return this.#clients.has(agentId) && this.#presence?.remoteOwner(agentId) === undefined;
  }

  /** How many agents are connected (cluster-wide in a cluster). */
  get size(): number {
    return this.#clients.size + (this.#presence?.remoteCount ?? 0);
  }

  /** Another replica now holds the agent's socket. Returns true when the agent was offline here. */
  remoteOnline(agentId: string): boolean {
    const { agents } = this.#deps;
    const wasOnline = agents.get(agentId)?.status === 'online';
    this.#tell(agentId, true);
    this.#markOnline(agentId);
    return !wasOnline;
  }

  /**
   * The replica holding these agents' sockets lost them (or died): offline, routes stale, except those connected
   * here meanwhile. A dead replica's agents are recorded together, OFFLINE_CHUNK agents per piece of the group
   * commit, not one piece (savepoint, events, log line) per agent.
   */
  remoteOffline(agentIds: readonly string[]): void {
    const gone = agentIds.filter((id) => !this.#clients.has(id));
    for (const id of gone) this.#tell(id, false);
    for (let i = 0; i < gone.length; i += OFFLINE_CHUNK) this.#markOffline(gone.slice(i, i + OFFLINE_CHUNK));
  }

  /** A client finished connecting (authenticated). */
  connected(client: Client): void {
    const { distribution, logger } = this.#deps;
    this.#clients.set(client.id, client);
    this.#tell(client.id, true);
    distribution.open(client.id);
    this.#presence?.announce(client.id, true);
    logger.info({ agentId: client.id }, 'agent connected');
    this.#markOnline(client.id);
  }

  /** Records the agent online in the next group commit, then tells the event stream. */
  #markOnline(agentId: string): void {
    const { commits, agents, bus, clock } = this.#deps;
    const at = clock.now();
    commits.enqueue(
      () => agents.setOnline(agentId, at),
      () => bus.emit({ type: 'agent-online', agentId }),
    );
  }

  /** A client's connection closed (cleanly, by timeout, by RST or by takeover). */
  disconnected(client: Client): void {
    if (this.#clients.get(client.id) !== client) return;
    this.#clients.delete(client.id);
    this.#tell(client.id, false);
    this.#deps.distribution.close(client.id);
    this.#presence?.announce(client.id, false);
    // Taken over by another replica: the agent is still online, its routes still live.
    if (this.#presence?.remoteOwner(client.id) !== undefined || this.#stopping) return;
    this.#markOffline([client.id]);
  }

  /**
   * Records the agents offline and their routes stale in the next group commit (after anything they sent before),
   * then tells the event stream. Their sync positions stay: an agent coming back unchanged may resume (protocol 3).
   */
  #markOffline(agentIds: readonly string[]): void {
    const { commits, table, agents, bus, clock, logger, stages } = this.#deps;
    const now = clock.now();
    commits.enqueue(
      () =>
        agentIds.flatMap((id) => {
          agents.setOffline(id, now);
          return table.markStale({ origin: id }, now);
        }),
      (events) =>
        stages.time('events', () => {
          bus.emitRouteEvents(events);
          if (agentIds.length === 1)
            logger.info({ agentId: agentIds[0], staleRoutes: events.length }, 'agent disconnected');
          else logger.info({ agents: agentIds.length, staleRoutes: events.length }, 'agents disconnected');
          for (const agentId of agentIds) bus.emit({ type: 'agent-offline', agentId });
        }),
    );
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

  #guard(stage: SyncStage, fn: () => void): void {
    try {
      this.#deps.stages.time(stage, fn);
    } catch (err) {
      this.#deps.logger.error({ err }, 'liveness update failed');
    }
  }
}
