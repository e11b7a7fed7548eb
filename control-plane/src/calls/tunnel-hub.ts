import {
  agentIdFromTopic,
  HUB_SUBSCRIPTIONS,
  TunnelClosedError,
  TunnelEndpoint,
  tunnelDownTopic,
  tunnelUpTopic,
  type CallHandler,
  type Clock,
  type StreamEvents,
  type StreamHandler,
  type StreamLimits,
  type Transport,
} from '@tether/shared';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { TunnelFigures } from '../observability/scrape-gauges.js';

/** What the hub's tunnel ends need. */
export interface TunnelHubDeps {
  transport: Transport;
  clock: Clock;
  metrics: Metrics;
  logger: Logger;
  isConnected(agentId: string): boolean;
  /**
   * A cluster member's replica id (docs/cluster.md): its calls to agents go on `tunnel-down/<replica>` and their
   * replies come back on `tunnel-up/<replica>`; the bare topics carry only the calls of agents whose socket is
   * here (`isLocal`). Without it (one control plane) the bare topics carry everything.
   */
  replicaId?: string;
  isLocal?(agentId: string): boolean;
  /** Streams per agent and bytes in flight per stream (default DEFAULT_STREAM_LIMITS). */
  streamLimits?: Partial<StreamLimits>;
  /** Stream counters (metrics). */
  streamEvents?: StreamEvents;
  /** Writes an agent's tunnel messages straight onto its connection when that is on this process. */
  sockets?: AgentSockets;
  /** Whether this process holds the agent's live socket (Liveness.holdsSocket); `sockets` is used only then. */
  holdsSocket?: (agentId: string) => boolean;
}

/** A way to an agent's own MQTT connection, bypassing the broker's publish path. */
export interface AgentSockets {
  /**
   * Writes `payload` on `topic` to the agent if its connection is here and subscribed to `topic`; resolves once
   * written. Undefined when it cannot (elsewhere in the cluster, closing, not subscribed): publish instead.
   */
  write(agentId: string, topic: string, payload: Uint8Array): Promise<void> | undefined;
  /** `write` of a payload in `parts` (`size` bytes), written in order without joining them. */
  writeParts(
    agentId: string,
    topic: string,
    parts: readonly Uint8Array[],
    size: number,
  ): Promise<void> | undefined;
  /**
   * Offers each message an agent connected here publishes (past the publish ACL) to `receiver` before the broker
   * routes it: true takes it. Returns a way to stop.
   */
  receive(receiver: (agentId: string, topic: string, payload: Uint8Array) => boolean): () => void;
}

/** How the hub serves what each agent sends up its tunnel: its calls, and the streams it opens. */
export interface TunnelHandlers {
  calls(agentId: string): CallHandler;
  streams(agentId: string): StreamHandler;
}

/**
 * The hub's side of every agent tunnel: one subscription to all `tunnel-up` topics, demultiplexed by the agent id
 * in the topic into one TunnelEndpoint per connected agent (sending on its `tunnel-down`).
 */
export class TunnelHub {
  readonly #deps: TunnelHubDeps;
  readonly #endpoints = new Map<string, TunnelEndpoint>();
  /** In a cluster: the bare-topic endpoints of local agents, serving the calls they make. */
  readonly #localEndpoints = new Map<string, TunnelEndpoint>();
  readonly #unsubscribes: (() => Promise<void>)[] = [];
  #stopReceiving: (() => void) | undefined;
  #handlers: TunnelHandlers | undefined;

  constructor(deps: TunnelHubDeps) {
    this.#deps = deps;
  }

  /**
   * Serves the calls and streams each agent sends up its tunnel with `handlers`, and subscribes to every agent's
   * tunnel-up topic (and, in a cluster, to the replies to this replica).
   */
  async start(handlers: TunnelHandlers): Promise<void> {
    this.#handlers = handlers;
    for (const [agentId, endpoint] of [...this.#endpoints, ...this.#localEndpoints])
      this.#serve(agentId, endpoint);
    const { replicaId, transport, sockets } = this.#deps;
    // What an agent connected here sends up its tunnel comes straight here; the subscriptions below get the rest
    // (messages from agents on other replicas, and any the receiver leaves).
    this.#stopReceiving = sockets?.receive((agentId, topic, payload) => {
      const endpoint = this.#receiverFor(agentId, topic);
      endpoint?.receive(payload);
      return endpoint !== undefined;
    });
    if (replicaId === undefined) {
      this.#unsubscribes.push(
        await transport.subscribe(
          HUB_SUBSCRIPTIONS.tunnels,
          this.#route((id) => this.endpointFor(id)),
        ),
      );
      return;
    }
    this.#unsubscribes.push(
      await transport.subscribe(
        HUB_SUBSCRIPTIONS.tunnels,
        this.#route((id) => this.#localEndpointFor(id)),
      ),
      await transport.subscribe(
        tunnelUpTopic('+', replicaId),
        this.#route((id) => this.endpointFor(id)),
      ),
    );
  }

  #route(find: (agentId: string) => TunnelEndpoint | undefined) {
    return (topic: string, payload: Uint8Array): void => {
      const agentId = agentIdFromTopic(topic);
      const endpoint = agentId === undefined ? undefined : find(agentId);
      if (endpoint) endpoint.receive(payload);
      else if (this.#deps.replicaId === undefined)
        this.#deps.metrics.invalidMessages.inc({ reason: 'tunnel_no_agent' });
    };
  }

  /** The endpoint a message agent `agentId` published on `topic` goes to, as the subscriptions route it. */
  #receiverFor(agentId: string, topic: string): TunnelEndpoint | undefined {
    const { replicaId } = this.#deps;
    if (topic === tunnelUpTopic(agentId))
      return replicaId === undefined ? this.endpointFor(agentId) : this.#localEndpointFor(agentId);
    return replicaId !== undefined && topic === tunnelUpTopic(agentId, replicaId)
      ? this.endpointFor(agentId)
      : undefined;
  }

  /** The endpoint of a connected agent (created on first use), or undefined when it is not connected. */
  endpointFor(agentId: string): TunnelEndpoint | undefined {
    const existing = this.#endpoints.get(agentId);
    if (existing) return existing;
    if (!this.#deps.isConnected(agentId)) return undefined;
    const endpoint = this.#open(agentId, tunnelDownTopic(agentId, this.#deps.replicaId));
    this.#endpoints.set(agentId, endpoint);
    return endpoint;
  }

  /** Cluster only: the endpoint answering on the bare topic, for an agent whose socket is on this replica. */
  #localEndpointFor(agentId: string): TunnelEndpoint | undefined {
    const existing = this.#localEndpoints.get(agentId);
    if (existing) return existing;
    if (!this.#deps.isLocal?.(agentId)) return undefined;
    const endpoint = this.#open(agentId, tunnelDownTopic(agentId));
    this.#localEndpoints.set(agentId, endpoint);
    return endpoint;
  }

  #open(agentId: string, sendTopic: string): TunnelEndpoint {
    const { sockets, transport, holdsSocket } = this.#deps;
    const endpoint = new TunnelEndpoint({
      transport: sockets ? socketFirst(agentId, sockets, transport, holdsSocket) : transport,
      sendTopic,
      clock: this.#deps.clock,
      onMalformed: (reason) => {
        this.#deps.metrics.invalidMessages.inc({ reason: `tunnel_${reason}` });
        this.#deps.logger.warn({ agentId, reason }, 'malformed tunnel frame dropped');
      },
      ...(this.#deps.streamLimits ? { streams: this.#deps.streamLimits } : {}),
      ...(this.#deps.streamEvents ? { streamEvents: this.#deps.streamEvents } : {}),
    });
    this.#serve(agentId, endpoint);
    return endpoint;
  }

  #serve(agentId: string, endpoint: TunnelEndpoint): void {
    if (!this.#handlers) return;
    endpoint.serve(this.#handlers.calls(agentId));
    endpoint.serveStreams(this.#handlers.streams(agentId));
  }

  /** Calls in flight and queued for window credit, and streams open, summed over every agent's tunnel. */
  figures(): TunnelFigures {
    const sum: TunnelFigures = { outgoing: 0, incoming: 0, queued: 0, streams: 0 };
    for (const endpoint of this.#endpoints.values()) {
      const s = endpoint.stats;
      sum.outgoing += s.outgoing;
      sum.incoming += s.incoming;
      sum.queued += s.queued;
      sum.streams += s.streams;
    }
    // In a cluster the streams a local agent opens live on its bare-topic endpoint.
    for (const endpoint of this.#localEndpoints.values()) sum.streams += endpoint.stats.streams;
    return sum;
  }

  /** The agent's connection closed or was taken over: every call in flight on it fails with TunnelClosedError. */
  drop(agentId: string, reason: string): void {
    for (const endpoints of [this.#endpoints, this.#localEndpoints]) {
      const endpoint = endpoints.get(agentId);
      if (!endpoint) continue;
      endpoints.delete(agentId);
      endpoint.fail(new TunnelClosedError(`tunnel to agent ${agentId} closed: ${reason}`));
      void endpoint.close();
    }
  }

  /** Drops every endpoint and the subscriptions. */
  async close(): Promise<void> {
    this.#stopReceiving?.();
    const ids = new Set([...this.#endpoints.keys(), ...this.#localEndpoints.keys()]);
    for (const id of ids) this.drop(id, 'control plane stopping');
    await Promise.all(this.#unsubscribes.splice(0).map((u) => u().catch(() => undefined)));
  }
}

/**
 * `transport` whose binary publishes go straight onto the agent's connection when `sockets` can write them and
 * this process holds the agent's socket (`holds`; in a cluster another replica may hold it now).
 */
function socketFirst(
  agentId: string,
  sockets: AgentSockets,
  transport: Transport,
  holds: ((agentId: string) => boolean) | undefined,
): Transport {
  return {
    publish: (topic, payload, options) => {
      const direct =
        typeof payload !== 'string' &&
        (options?.qos ?? 0) === 0 &&
        options?.retain !== true &&
        (holds?.(agentId) ?? true);
      return (
        (direct ? sockets.write(agentId, topic, payload) : undefined) ??
        transport.publish(topic, payload, options)
      );
    },
    // QoS 0, not retained: direct under the same condition, else undefined (the endpoint joins and publishes).
    publishParts: (topic, parts, size) =>
      (holds?.(agentId) ?? true) ? sockets.writeParts(agentId, topic, parts, size) : undefined,
    subscribe: (filter, handler, options) => transport.subscribe(filter, handler, options),
    close: () => transport.close(),
  };
}
