import * as http from 'node:http';
import * as https from 'node:https';
import { createUpstreamClient, DEFAULT_MAX_BODY_BYTES, type Clock, type Transport } from '@tether/shared';
import type { EventBus } from '../observability/event-bus.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { AgentStore } from '../store/agent-store.js';
import { CallRouter } from './call-router.js';
import type { CallStats } from './call-stats.js';
import { edgeCallHandler } from './edge-call-handler.js';
import type { RoutePicker } from './route-picker.js';
import { TunnelHub } from './tunnel-hub.js';

/** What calls through the network need from the control plane. */
export interface CallsDeps {
  transport: Transport;
  agents: AgentStore;
  bus: EventBus;
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
}

/** The running call machinery: the router (the gateway's way in), the tunnels and a way to stop. */
export interface Calls {
  router: CallRouter;
  tunnels: TunnelHub;
  /** The request body limit the calls were started with. */
  maxBodyBytes: number;
  close(): Promise<void>;
}

/** Starts the tunnel ends (one per connected agent, closed when it disconnects) and the call router. */
export async function startCalls(deps: CallsDeps): Promise<Calls> {
  const maxBodyBytes = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const upstream = createUpstreamClient({ http, https });
  const tunnels = new TunnelHub({
    transport: deps.transport,
    clock: deps.clock,
    metrics: deps.metrics,
    logger: deps.logger,
    isConnected: (agentId) => deps.isConnected(agentId),
    ...(deps.replicaId === undefined ? {} : { replicaId: deps.replicaId }),
    ...(deps.isLocal ? { isLocal: (agentId: string) => deps.isLocal?.(agentId) ?? false } : {}),
  });
  const router = new CallRouter({
    picker: deps.picker,
    tunnels,
    upstream,
    clock: deps.clock,
    logger: deps.logger,
    ...(deps.stats ? { stats: deps.stats } : {}),
  });
  const stopListening = deps.bus.subscribe((event) => {
    if (event.type === 'agent-offline') tunnels.drop(event.agentId, 'agent disconnected');
    // A new connection (takeover included): calls on the previous one cannot complete.
    if (event.type === 'agent-online') tunnels.drop(event.agentId, 'agent reconnected');
  });
  // The agents' own calls go through the same router as the gateway's.
  await tunnels.start((agentId) => edgeCallHandler(agentId, { router, agents: deps.agents, maxBodyBytes }));
  return {
    router,
    tunnels,
    maxBodyBytes,
    close: async () => {
      stopListening();
      await tunnels.close();
      upstream.destroy();
    },
  };
}
