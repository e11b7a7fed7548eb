import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import {
  createUpstreamClient,
  DEFAULT_MAX_BODY_BYTES,
  type Clock,
  type StreamLimits,
  type Transport,
} from '@tether/shared';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { AgentStore } from '../store/agent-store.js';
import { CallRouter } from './call-router.js';
import type { CallStats } from './call-stats.js';
import { edgeCallHandler } from './edge-call-handler.js';
import { edgeStreamHandler } from './edge-stream-handler.js';
import { OwnListeners } from './own-listeners.js';
import type { RoutePicker } from './route-picker.js';
import { StreamRouter } from './stream-router.js';
import { TunnelHub, type AgentSockets } from './tunnel-hub.js';

/** What calls through the network need from the control plane. */
export interface CallsDeps {
  transport: Transport;
  agents: AgentStore;
  /** Agents' connection changes as they happen (Liveness): a tunnel's calls end with its connection. */
  connections: { onConnectionChange(listener: (agentId: string, connected: boolean) => void): () => void };
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
  picker: RoutePicker;
  isConnected(agentId: string): boolean;
  /** Counts every call (metrics and the stats event). */
  stats?: CallStats;
  /** Cluster only: this replica's id and whether an agent's socket is here (TunnelHub). */
  replicaId?: string;
  isLocal?(agentId: string): boolean;
  /** Request body limit (default 64 MiB). */
  maxBodyBytes?: number;
  /** Streams per agent and bytes in flight per stream (default DEFAULT_STREAM_LIMITS). */
  streamLimits?: Partial<StreamLimits>;
  /** Agents' connections on this process, written to directly (TunnelHub). */
  sockets?: AgentSockets;
  /** Whether this process holds the agent's live socket (the direct path is taken only then). */
  holdsSocket?: (agentId: string) => boolean;
}

/** The running call machinery: the routers (the gateway's and listeners' way in), the tunnels and a way to stop. */
export interface Calls {
  router: CallRouter;
  /** Routes byte streams (listener connections, upgrades through the gateway). */
  streams: StreamRouter;
  /** The control plane's own listener ports (the listeners keep it; streams never dial them). */
  ownListeners: OwnListeners;
  tunnels: TunnelHub;
  /** The request body limit the calls were started with. */
  maxBodyBytes: number;
  close(): Promise<void>;
}

/** Starts the tunnel ends (one per connected agent, closed when it disconnects) and the call router. */
export async function startCalls(deps: CallsDeps): Promise<Calls> {
  const maxBodyBytes = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const upstream = createUpstreamClient({ http, https });
  const toAgent = deps.metrics.streams.bytes.slot({ direction: 'to_agent' });
  const fromAgent = deps.metrics.streams.bytes.slot({ direction: 'from_agent' });
  const tunnels = new TunnelHub({
    transport: deps.transport,
    clock: deps.clock,
    metrics: deps.metrics,
    logger: deps.logger,
    isConnected: (agentId) => deps.isConnected(agentId),
    ...(deps.replicaId === undefined ? {} : { replicaId: deps.replicaId }),
    ...(deps.isLocal ? { isLocal: (agentId: string) => deps.isLocal?.(agentId) ?? false } : {}),
    ...(deps.streamLimits ? { streamLimits: deps.streamLimits } : {}),
    ...(deps.sockets ? { sockets: deps.sockets } : {}),
    ...(deps.holdsSocket ? { holdsSocket: deps.holdsSocket } : {}),
    streamEvents: {
      sent: (n) => void (toAgent.total += n),
      received: (n) => void (fromAgent.total += n),
      refused: (code) => deps.metrics.streams.refused.inc({ reason: code }),
    },
  });
  const router = new CallRouter({
    picker: deps.picker,
    tunnels,
    upstream,
    clock: deps.clock,
    logger: deps.logger,
    ...(deps.stats ? { stats: deps.stats } : {}),
  });
  const ownListeners = new OwnListeners();
  const streams = new StreamRouter({
    picker: deps.picker,
    tunnels,
    io: { net, http: { http, https } },
    clock: deps.clock,
    logger: deps.logger,
    isOwnListener: (host, port) => ownListeners.has(host, port),
  });
  // Told as the connection changes, not after the commit that records it: by then the agent may be back, and its
  // new tunnel's calls would be dropped with the old one's. A new connection (takeover included) ends the calls
  // on the previous one, which cannot complete.
  const stopListening = deps.connections.onConnectionChange((agentId, connected) =>
    tunnels.drop(agentId, connected ? 'agent reconnected' : 'agent disconnected'),
  );
  // The agents' own calls and streams go through the same routers as the gateway's and the listeners'.
  await tunnels.start({
    calls: (agentId) => edgeCallHandler(agentId, { router, agents: deps.agents, maxBodyBytes }),
    streams: (agentId) => edgeStreamHandler(agentId, { streams, agents: deps.agents }),
  });
  return {
    router,
    streams,
    ownListeners,
    tunnels,
    maxBodyBytes,
    close: async () => {
      stopListening();
      await tunnels.close();
      upstream.destroy();
    },
  };
}
