import type { AgentTunnel } from '../calls/agent-tunnel.js';
import type { TcpListeners } from '../calls/tcp-listeners.js';
import { createApiBackend } from '../api/api-backend.js';
import { apiRoutes, type ApiBackend } from '../api/api-routes.js';
import { listenApi, type ApiServer } from '../api/api-server.js';
import { createLocalProxy, createLocalUpgrade } from '../calls/local-proxy.js';
import type { AgentMetrics } from '../observability/metrics.js';
import type { HubLink } from './hub-link.js';
import type { LocalServices } from './start-sources.js';
import type { LocalState } from './open-local-state.js';
import type { StartContext } from './start-context.js';

/** The parts of a started agent the local API serves. */
export interface ApiParts {
  state: LocalState;
  link: HubLink;
  services: LocalServices;
  tunnel: AgentTunnel;
  tcp: TcpListeners;
  metrics: AgentMetrics;
}

/** The local API listening, and its backend (the agent's status is read from it). */
export interface LocalApi {
  api: ApiServer;
  backend: ApiBackend;
}

/** Serves the local API (`/v1/...` and `/call` through the tunnel) on its host and port. */
export async function serveLocalApi(ctx: StartContext, parts: ApiParts): Promise<LocalApi> {
  const { options, identity, controlPlane, clock, logger } = ctx;
  const { state, link, services, tunnel, tcp, metrics } = parts;
  const backend = createApiBackend({
    identity,
    controlPlane,
    table: state.table,
    transport: link.transport,
    registry: services.registry,
    staticSource: services.staticSource,
    sources: () => services.runners.map((r) => r.status),
    outbox: state.outbox,
    uplink: () => link.forwarder.uplink(),
    metrics,
    logger,
    listeners: () => tcp.list(),
  });
  const proxy = {
    id: options.id,
    endpoint: tunnel.endpoint,
    apiToken: options.api?.token,
    observe: (service: string) => metrics.beginCall('out', service, () => clock.now()),
    logger,
  };
  const api = await listenApi(
    apiRoutes(backend, {
      handle: createLocalProxy(proxy),
      upgrade: createLocalUpgrade({ ...proxy, refused: (code) => metrics.streamRefused(code) }),
    }),
    options.api?.port ?? 7070,
    {
      bindHost: options.api?.host ?? '127.0.0.1',
      allowedHosts: options.api?.allowedHosts ?? [],
      allowedOrigins: options.api?.allowedOrigins ?? [],
      token: options.api?.token,
    },
    logger,
    (reason) => metrics.apiRefused(reason),
  );
  return { api, backend };
}
