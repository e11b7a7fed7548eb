import path from 'node:path';
import {
  AgentIdSchema,
  formatZodError,
  MemoryRouteTable,
  systemClock,
  type RouteTable,
} from '@tether/shared';
import { stopAgent, type AgentParts } from './agent-lifecycle.js';
import { Advertiser } from './sync/advertiser.js';
import { OUTBOX_DEFAULTS, type StartAgentOptions } from './config/agent-options.js';
import { linkOptions } from './config/link-options.js';
import type { AgentIdentity } from './sync/agent-status.js';
import { apiRoutes, type AgentStatusView } from './api/api-routes.js';
import { createApiBackend } from './api/api-backend.js';
import { listenApi } from './api/api-server.js';
import { ensureStateDir } from './state/atomic-write.js';
import { openAgentTunnel } from './calls/agent-tunnel.js';
import { createLocalProxy, createLocalUpgrade } from './calls/local-proxy.js';
import { openTcpListeners } from './calls/tcp-listeners.js';
import { CentralRoutes } from './sync/central-routes.js';
import { ConfigError } from './errors.js';
import { CredentialKeeper } from './credentials/credential-keeper.js';
import { normalizeControlPlaneUrl, redactUrl } from './link/control-plane-url.js';
import { HealthChecker } from './services/health-checker.js';
import { createLogger } from './observability/logger.js';
import { AgentMetrics } from './observability/metrics.js';
import { MqttTransport } from './link/mqtt-transport.js';
import { openAgentOutbox } from './reports/agent-outbox.js';
import { ReportForwarder } from './reports/forwarder.js';
import type { ReportOutbox } from './reports/lazy-outbox.js';
import { RouteCache } from './sync/route-cache.js';
import { RouteSync } from './sync/route-sync.js';
import { ServiceRegistry } from './services/service-registry.js';
import { openSource } from './registries/open-source.js';
import { SourceRunner } from './sources/source-runner.js';
import { STATIC_TIMING, StaticSource } from './sources/static-source.js';
import { resolveServiceSpec } from './services/service-spec.js';
import { ServiceStore } from './services/service-store.js';
import { loadTlsPlan } from './link/tls/load-tls-plan.js';
import { startOrUndo } from './undo-stack.js';
import { AGENT_VERSION } from './version.js';
import { UpgradeReceiver } from './upgrades/upgrade-receiver.js';

/** A running agent. */
export interface AgentHandle {
  id: string;
  /** The local API's bound port. */
  apiPort: number;
  /** Everything the agent knows: its own routes and the central ones. */
  table: RouteTable;
  transport: MqttTransport;
  outbox: ReportOutbox;
  status(): AgentStatusView;
  /** Publishes the retained offline status, ends the MQTT link, stops checks, closes the API. */
  close(): Promise<void>;
}

/** Starts an agent: loads its state, dials the control plane in the background and serves the local API. */
export async function startAgent(options: StartAgentOptions): Promise<AgentHandle> {
  const logger = options.logger ?? (await createLogger(options.logLevel ?? 'info'));
  const clock = options.clock ?? systemClock;
  const id = AgentIdSchema.safeParse(options.id);
  if (!id.success) throw new ConfigError(`invalid agent id "${options.id}": ${formatZodError(id.error)}`);
  const controlPlane = normalizeControlPlaneUrl(options.controlPlane);
  const identity: AgentIdentity = {
    id: options.id,
    strategy: options.strategy ?? 'local',
    site: options.site ?? 'default',
    labels: options.labels ?? {},
    version: AGENT_VERSION,
  };
  const stateDir = path.resolve(options.stateDir ?? path.join('.tether', options.id));
  await ensureStateDir(stateDir);
  const tls = await loadTlsPlan(options.tls, controlPlane, logger);

  return startOrUndo(logger, async (undo) => {
    const table = new MemoryRouteTable();
    const cache = new RouteCache({
      stateDir,
      table,
      logger,
      clock,
      ...(options.cacheDebounceMs !== undefined ? { debounceMs: options.cacheDebounceMs } : {}),
    });
    undo.defer('route cache', () => cache.flush());
    const cached = await cache.load();
    if (cached > 0)
      logger.info({ routes: cached }, 'loaded cached central routes (stale until the hub confirms them)');
    const store = new ServiceStore(stateDir, logger);
    const stored = await store.load();
    // The addon is loaded from the agent's own content-addressed copy, never from a file an upgrade may overwrite.
    const outbox = await openAgentOutbox({
      stateDir,
      limits: { ...OUTBOX_DEFAULTS, ...options.outbox },
      clock,
    });
    undo.defer('outbox', () => outbox.close());

    const transport = MqttTransport.create(
      linkOptions(options, { identity, controlPlane, tls, clock, logger }),
    );
    undo.defer('link', () => transport.close());
    const forwarder = new ReportForwarder({
      agentId: options.id,
      outbox,
      transport,
      logger,
      clock,
      maxRate: options.uplink?.maxRate ?? null,
      streamPriority: options.uplink?.streamPriority ?? {},
    });
    const metrics = new AgentMetrics({
      connection: () => transport.stats,
      routes: () => ({
        local: table.count({ origin: options.id }),
        central: table.count({ originKind: 'central' }),
      }),
      outbox: () => outbox.stats(),
    });
    metrics.extend(async (registry) =>
      (await import('./reports/uplink-metrics.js')).registerUplinkMetrics(registry, () => forwarder.uplink()),
    );
    const credentials = new CredentialKeeper({
      stateDir,
      credential: options.credential ?? { v: 1, id: options.id, secret: options.secret, controlPlane },
      link: transport,
      logger,
    });
    const upgrades = new UpgradeReceiver({
      transport,
      agentId: options.id,
      stateDir,
      buildFile: options.upgrades?.buildFile,
      upgradeKey: options.credential?.upgradeKey,
      version: AGENT_VERSION,
      logger,
      justUpgraded: options.upgrades?.justUpgraded,
      onStaged: options.upgrades?.onStaged,
      onReported: options.upgrades?.onReported,
    });
    const central = new CentralRoutes(table);
    const advertiser = new Advertiser({
      ...identity,
      table,
      transport,
      logger,
      clock,
      digestIntervalMs: options.digestIntervalMs ?? 30_000,
      ...(options.advertPacing ? { pacing: options.advertPacing } : {}),
      outboxStats: () => {
        const uplink = forwarder.uplink();
        return {
          ...outbox.stats(),
          drainEstimateMs: uplink.drainEstimateMs,
          uplinkBytesPerSecond: uplink.rateBytesPerSecond,
        };
      },
      centralPosition: () => central.syncPosition(),
    });
    const sync = new RouteSync({
      id: options.id,
      transport,
      advertiser,
      central,
      cache,
      logger,
      onCredentialRotate: (message) => void credentials.rotate(message),
      upgrades,
    });
    const registry = new ServiceRegistry({
      id: options.id,
      site: identity.site,
      table,
      healthChecker: new HealthChecker({ logger, clock }),
      onRoutesChanged: () => sync.localChanged(),
    });
    undo.defer('service registry', () => registry.close());
    // One path for every service: static ones (flags, config, API) and each registry are sources, run alike.
    const staticSource = new StaticSource(
      [...(options.services ?? []).map(resolveServiceSpec), ...stored],
      store,
    );
    const runners = [
      new SourceRunner({ source: staticSource, sink: registry, timing: STATIC_TIMING, clock, logger }),
    ];
    undo.defer('static services', () => runners[0]!.close());
    for (const config of options.sources ?? []) {
      const runner = new SourceRunner({
        source: await openSource(config, logger, clock),
        sink: registry,
        timing: config,
        clock,
        logger,
      });
      runners.push(runner);
      undo.defer(`source ${runner.status.name}`, () => runner.close());
    }
    for (const runner of runners) registry.register(runner.status.name);
    await runners[0]!.start();
    // Registries are listed in the background: one that does not answer must not hold up the agent.
    for (const runner of runners.slice(1)) void runner.start();
    const tunnel = await openAgentTunnel({
      id: options.id,
      transport,
      table,
      clock,
      logger,
      observe: (service) => metrics.beginCall('in', service, () => clock.now()),
      streamEvents: {
        sent: (n) => metrics.streamBytes('up', n),
        received: (n) => metrics.streamBytes('down', n),
        refused: (code) => metrics.streamRefused(code),
      },
    });
    undo.defer('tunnel', () => tunnel.close());
    metrics.readFrom({ tunnel: () => tunnel.endpoint.stats });
    // Each stop is pushed before its start: a start that fails half-way has its started half undone too.
    undo.defer('upgrades', () => upgrades.stop());
    upgrades.start();
    undo.defer('route sync', () => sync.stop());
    await sync.start();
    undo.defer('report forwarder', () => forwarder.stop());
    await forwarder.start();

    const refusedHere = (code: string): void => metrics.streamRefused(code);
    const tcp = await openTcpListeners(options.listen ?? [], {
      id: options.id,
      endpoint: tunnel.endpoint,
      logger,
      refused: refusedHere,
    });
    undo.defer('listeners', () => tcp.close());
    const parts: AgentParts = {
      identity,
      clock,
      logger,
      runners,
      registry,
      sync,
      upgrades,
      forwarder,
      transport,
      tunnel,
      cache,
      outbox,
      tcp,
    };
    const backend = createApiBackend({
      identity,
      controlPlane,
      table,
      transport,
      registry,
      staticSource,
      sources: () => runners.map((r) => r.status),
      outbox,
      uplink: () => forwarder.uplink(),
      metrics,
      logger,
      listeners: () => tcp.list(),
    });

    const host = options.api?.host ?? '127.0.0.1';
    const proxy = {
      id: options.id,
      endpoint: tunnel.endpoint,
      apiToken: options.api?.token,
      observe: (service: string) => metrics.beginCall('out', service, () => clock.now()),
    };
    const api = await listenApi(
      apiRoutes(backend, {
        handle: createLocalProxy(proxy),
        upgrade: createLocalUpgrade({ ...proxy, refused: refusedHere }),
      }),
      options.api?.port ?? 7070,
      {
        bindHost: host,
        allowedHosts: options.api?.allowedHosts ?? [],
        allowedOrigins: options.api?.allowedOrigins ?? [],
        token: options.api?.token,
      },
      logger,
      (reason) => metrics.apiRefused(reason),
    );

    logger.info(
      {
        id: options.id,
        controlPlane: redactUrl(controlPlane),
        strategy: identity.strategy,
        site: identity.site,
      },
      'agent started',
    );
    let closing: Promise<void> | undefined;
    return {
      id: options.id,
      apiPort: api.port,
      table,
      transport,
      outbox,
      status: () => backend.status(),
      close: () => (closing ??= stopAgent(parts, api)),
    };
  });
}
