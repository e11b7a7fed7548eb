import * as http from 'node:http';
import type { IncomingMessage } from 'node:http';
import * as https from 'node:https';
import { createUpstreamClient, DEFAULT_MAX_BODY_BYTES, type Clock, type Transport } from '@tether/shared';
import type { EventBus } from '../event-bus.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { AgentStore } from '../store/agent-store.js';
import { CallRouter } from './call-router.js';
import type { CallStats } from './call-stats.js';
import { edgeCallHandler } from './edge-call-handler.js';
import { createGateway, type CallGateway } from './gateway.js';
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
  /** The caller identity of a gateway request (`central:<token name>`). */
  callerOf(req: IncomingMessage): string;
  /** Registers a long gateway call with its token (see GatewayDeps). */
  holdWithToken?: (req: IncomingMessage, end: () => void) => () => void;
}

/** The running call machinery: the gateway handler and a way to stop. */
export interface Calls {
  gateway: CallGateway;
  tunnels: TunnelHub;
  close(): Promise<void>;
}

/** Starts the tunnel ends (one per connected agent, closed when it disconnects) and the `/call` gateway. */
export async function startCalls(deps: CallsDeps): Promise<Calls> {
  const maxBodyBytes = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const upstream = createUpstreamClient({ http, https });
  const routerRef: { current?: CallRouter } = {};
  const tunnels = new TunnelHub({
    transport: deps.transport,
    clock: deps.clock,
    metrics: deps.metrics,
    logger: deps.logger,
    isConnected: (agentId) => deps.isConnected(agentId),
    ...(deps.replicaId === undefined ? {} : { replicaId: deps.replicaId }),
    ...(deps.isLocal ? { isLocal: (agentId: string) => deps.isLocal?.(agentId) ?? false } : {}),
    handlerFor: (agentId) =>
      edgeCallHandler(agentId, { router: routerRef.current!, agents: deps.agents, maxBodyBytes }),
  });
  const router = (routerRef.current = new CallRouter({
    picker: deps.picker,
    tunnels,
    upstream,
    clock: deps.clock,
    logger: deps.logger,
    ...(deps.stats ? { stats: deps.stats } : {}),
  }));
  const stopListening = deps.bus.subscribe((event) => {
    if (event.type === 'agent-offline') tunnels.drop(event.agentId, 'agent disconnected');
    // A new connection (takeover included): calls on the previous one cannot complete.
    if (event.type === 'agent-online') tunnels.drop(event.agentId, 'agent reconnected');
  });
  await tunnels.start();
  return {
    gateway: createGateway({
      router,
      maxBodyBytes,
      logger: deps.logger,
      clock: deps.clock,
      callerOf: (req) => deps.callerOf(req),
      ...(deps.holdWithToken ? { holdWithToken: deps.holdWithToken } : {}),
    }),
    tunnels,
    close: async () => {
      stopListening();
      await tunnels.close();
      upstream.destroy();
    },
  };
}
