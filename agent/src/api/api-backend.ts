import type { Route, RouteTable } from '@tether/shared';
import type { AgentIdentity } from '../sync/agent-status.js';
import type { AgentStatusView, ApiBackend } from './api-routes.js';
import { redactUrl } from '../link/control-plane-url.js';
import type { AgentLogger } from '../observability/logger.js';
import type { AgentMetrics } from '../observability/metrics.js';
import type { MqttTransport } from '../link/mqtt-transport.js';
import type { ReportOutbox } from '../reports/lazy-outbox.js';
import type { UplinkStatus } from '../reports/uplink-status.js';
import { ConflictError, NotFoundError } from '@tether/shared';
import type { ServiceRegistry } from '../services/service-registry.js';
import { toServiceSpec } from '../services/service-spec.js';
import type { SourceStatus } from '../sources/source-runner.js';
import { STATIC_SOURCE, type StaticSource } from '../sources/static-source.js';
import type { ListenerView } from '../calls/tcp-listeners.js';

/** The parts of a running agent its local API reaches. */
export interface ApiBackendDeps {
  identity: AgentIdentity;
  /** The control plane's URL (shown redacted). */
  controlPlane: string;
  table: RouteTable;
  transport: MqttTransport;
  registry: ServiceRegistry;
  /** Where services added through the API go (and persist). */
  staticSource: StaticSource;
  /** Every source's status (the static one first). */
  sources: () => SourceStatus[];
  outbox: ReportOutbox;
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
  const {
    identity,
    controlPlane,
    table,
    transport,
    registry,
    staticSource,
    outbox,
    uplink,
    metrics,
    logger,
  } = deps;
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
      sources: deps.sources(),
    };
  };
  return {
    listServices: () => registry.list(),
    addService: async (input) => {
      const spec = toServiceSpec(input, 'api');
      const existing = registry.get(spec.name, spec.url);
      if (existing)
        throw new ConflictError(
          `service "${spec.name}" at ${spec.url} exists already (from ${existing.from})`,
        );
      await staticSource.add(spec);
      logger.info({ service: spec.name, url: spec.url }, 'service added');
      return registry.get(spec.name, spec.url)!;
    },
    removeService: async (name, url) => {
      const found = registry.find(name, url);
      if (found.length === 0) throw new NotFoundError(`no local service "${name}"${url ? ` at ${url}` : ''}`);
      const own = found.filter((f) => f.owner === STATIC_SOURCE).map((f) => f.spec);
      if (own.length === 0)
        throw new ConflictError(
          `service "${name}" comes from ${found[0]!.owner}: remove it there (the agent follows the registry)`,
        );
      await staticSource.remove(own);
      logger.info({ service: name, instances: own.length }, 'service removed');
    },
    listRoutes: (): Route[] => table.list(),
    status,
    acceptReports: async (stream, reports) => {
      const accepted = await outbox.accept(stream, reports);
      metrics.reportsAccepted(reports.length);
      return accepted;
    },
    metrics: () => metrics.exposition(),
    listeners: deps.listeners,
  };
}
