import type { Route, RouteTable } from '@tether/shared';
import type { AgentIdentity } from '../sync/agent-status.js';
import type { AgentStatusView, ApiBackend } from './api-routes.js';
import { redactUrl } from '../link/control-plane-url.js';
import type { AgentLogger } from '../observability/logger.js';
import type { AgentMetrics } from '../observability/metrics.js';
import type { MqttTransport } from '../link/mqtt-transport.js';
import type { Outbox } from '../reports/outbox.js';
import type { UplinkStatus } from '../reports/uplink-status.js';
import type { ServiceRegistry } from '../services/service-registry.js';
import { toServiceSpec } from '../services/service-spec.js';
import type { ServiceStore } from '../services/service-store.js';
import type { ListenerView } from '../calls/tcp-listeners.js';

/** The parts of a running agent its local API reaches. */
export interface ApiBackendDeps {
  identity: AgentIdentity;
  /** The control plane's URL (shown redacted). */
  controlPlane: string;
  table: RouteTable;
  transport: MqttTransport;
  registry: ServiceRegistry;
  /** Where services added through the API persist. */
  store: ServiceStore;
  outbox: Outbox;
  /** The report uplink as measured now. */
  uplink: () => UplinkStatus;
  metrics: AgentMetrics;
  logger: AgentLogger;
  /** The TCP listeners (`--listen`) with their bound ports. */
  listeners: () => ListenerView[];
}

/**
 * The local API's backend over a running agent: services (those added through the API persisted in the state
 * dir), routes, status, reports into the outbox and the Prometheus metrics.
 */
export function createApiBackend(deps: ApiBackendDeps): ApiBackend {
  const { identity, controlPlane, table, transport, registry, store, outbox, uplink, metrics, logger } = deps;
  const status = (): AgentStatusView => {
    const stats = transport.stats;
    return {
      id: identity.id,
      state: stats.state,
      controlPlane: redactUrl(controlPlane),
      connectedSince: stats.connectedSince,
      lastError: stats.lastError,
      reconnects: stats.reconnects,
      strategy: identity.strategy,
      site: identity.site,
      labels: identity.labels,
      routes: {
        local: table.count({ origin: identity.id }),
        central: table.count({ originKind: 'central' }),
      },
      outbox: outbox.stats(),
      uplink: uplink(),
    };
  };
  return {
    listServices: () => registry.list(),
    addService: async (input) => {
      const spec = toServiceSpec(input, 'api');
      registry.add(spec);
      await store.save(registry.specs('api'));
      logger.info({ service: spec.name, url: spec.url }, 'service added');
      return registry.list().find((s) => s.name === spec.name && s.url === spec.url)!;
    },
    removeService: async (name, url) => {
      const removed = registry.remove(name, url);
      if (removed.some((s) => s.source === 'api')) await store.save(registry.specs('api'));
      logger.info({ service: name, instances: removed.length }, 'service removed');
    },
    listRoutes: (): Route[] => table.list(),
    status,
    acceptReports: async (stream, reports) => {
      const accepted = await outbox.accept(stream, reports);
      metrics.reportsAccepted.inc(reports.length);
      return accepted;
    },
    metrics: async () => ({
      body: await metrics.registry.metrics(),
      contentType: metrics.registry.contentType,
    }),
    listeners: deps.listeners,
  };
}
