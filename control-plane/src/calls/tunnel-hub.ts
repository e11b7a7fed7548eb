import {
  agentIdFromTopic,
  HUB_SUBSCRIPTIONS,
  TunnelClosedError,
  TunnelEndpoint,
  tunnelDownTopic,
  type CallHandler,
  type Clock,
  type Transport,
} from '@tether/shared';
import type { Logger } from '../logger.js';
import type { Metrics, TunnelFigures } from '../metrics.js';

/** What the hub's tunnel ends need. */
export interface TunnelHubDeps {
  transport: Transport;
  clock: Clock;
  metrics: Metrics;
  logger: Logger;
  isConnected(agentId: string): boolean;
  /** Serves the calls agent `agentId` sends up its tunnel. */
  handlerFor(agentId: string): CallHandler;
}

/**
 * The hub's side of every agent tunnel: one subscription to all `tunnel-up` topics, demultiplexed by the agent id
 * in the topic into one TunnelEndpoint per connected agent (sending on its `tunnel-down`).
 */
export class TunnelHub {
  readonly #deps: TunnelHubDeps;
  readonly #endpoints = new Map<string, TunnelEndpoint>();
  #unsubscribe: (() => Promise<void>) | undefined;

  constructor(deps: TunnelHubDeps) {
    this.#deps = deps;
  }

  /** Subscribes to every agent's tunnel-up topic. */
  async start(): Promise<void> {
    this.#unsubscribe = await this.#deps.transport.subscribe(HUB_SUBSCRIPTIONS.tunnels, (topic, payload) => {
      const agentId = agentIdFromTopic(topic);
      const endpoint = agentId === undefined ? undefined : this.endpointFor(agentId);
      if (endpoint) endpoint.receive(payload);
      else this.#deps.metrics.invalidMessages.inc({ reason: 'tunnel_no_agent' });
    });
  }

  /** The endpoint of a connected agent (created on first use), or undefined when it is not connected. */
  endpointFor(agentId: string): TunnelEndpoint | undefined {
    const existing = this.#endpoints.get(agentId);
    if (existing) return existing;
    if (!this.#deps.isConnected(agentId)) return undefined;
    const endpoint = new TunnelEndpoint({
      transport: this.#deps.transport,
      sendTopic: tunnelDownTopic(agentId),
      clock: this.#deps.clock,
      onMalformed: (reason) => {
        this.#deps.metrics.invalidMessages.inc({ reason: `tunnel_${reason}` });
        this.#deps.logger.warn({ agentId, reason }, 'malformed tunnel frame dropped');
      },
    });
    endpoint.serve(this.#deps.handlerFor(agentId));
    this.#endpoints.set(agentId, endpoint);
    return endpoint;
  }

  /** Calls in flight and queued for window credit, summed over every agent's tunnel. */
  figures(): TunnelFigures {
    const sum: TunnelFigures = { outgoing: 0, incoming: 0, queued: 0 };
    for (const endpoint of this.#endpoints.values()) {
      const s = endpoint.stats;
      sum.outgoing += s.outgoing;
      sum.incoming += s.incoming;
      sum.queued += s.queued;
    }
    return sum;
  }

  /** The agent's connection closed or was taken over: every call in flight on it fails with TunnelClosedError. */
  drop(agentId: string, reason: string): void {
    const endpoint = this.#endpoints.get(agentId);
    if (!endpoint) return;
    this.#endpoints.delete(agentId);
    endpoint.fail(new TunnelClosedError(`tunnel to agent ${agentId} closed: ${reason}`));
    void endpoint.close();
  }

  /** Drops every endpoint and the subscription. */
  async close(): Promise<void> {
    for (const id of [...this.#endpoints.keys()]) this.drop(id, 'control plane stopping');
    await this.#unsubscribe?.().catch(() => undefined);
  }
}
