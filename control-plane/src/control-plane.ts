import { join } from 'node:path';
import { ensurePrivateDir, systemClock } from '@tether/shared';
import { AedesTransport } from './broker/aedes-transport.js';
import { AgentSocketWriter } from './broker/agent-socket-writer.js';
import { startAgentIngress } from './agents/start-agents.js';
import { CONTROL_PLANE_VERSION } from './version.js';
import { AuditLog } from './audit/audit-log.js';
import { ensureBootstrapToken } from './auth/bootstrap-token.js';
import { RequestAuth } from './auth/request-auth.js';
import { TokenSockets } from './auth/token-sockets.js';
import { TokenStore } from './auth/token-store.js';
import { brokerLimits } from './broker/limits.js';
import { AgentTelemetry } from './agents/agent-telemetry.js';
import { countBrokerTraffic } from './broker/traffic-metrics.js';
import { CallStats } from './calls/call-stats.js';
import { startCalls } from './calls/start-calls.js';
import { createBroker } from './broker/create-broker.js';
import { defaultMqttUrls } from './agents/registration/mqtt-urls.js';
import { DataVersionWatch } from './db/data-version-watch.js';
import { CommitWatch } from './db/commit-watch.js';
import { GroupCommit } from './db/group-commit.js';
import { openDatabase } from './db/open-database.js';
import { Distribution } from './agents/sync/distribution.js';
import { EventBus } from './observability/event-bus.js';
import { EventLog } from './observability/event-log.js';
import { createHttp } from './http/start-http.js';
import { Liveness } from './agents/liveness.js';
import { createLogger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { Revocations } from './agents/revocation/revocations.js';
import { markRestarted } from './store/mark-restarted.js';
import { startServices } from './services/start-services.js';
import { StaleSweeper } from './agents/sync/stale-sweeper.js';
import { StatsTicker } from './observability/stats-ticker.js';
import { AgentStore } from './store/agent-store.js';
import { createFleetCounts } from './store/fleet-counts.js';
import { ServiceStore } from './store/service-store.js';
import { SqliteRouteTable } from './store/sqlite-route-table.js';
import { ListenerStore } from './store/listener-store.js';
import { TcpListeners } from './tcp/tcp-listeners.js';
import { certificateFingerprint } from './tls/server-tls.js';
import type { ControlPlane, ControlPlaneOptions, ControlPlanePorts } from './control-plane-types.js';
import { joinCluster, newReplicaId, type ClusterMember } from './cluster/join-cluster.js';
import { localEffectsOf } from './cluster/local-effects.js';
import { openRedisFabric, type RedisFabric } from './cluster/redis-fabric.js';
import { requestResync } from './agents/sync/inbox.js';
import { announceAgent } from './agents/sync/announce-agent.js';
import { loadUpgradeKey } from './agents/upgrades/upgrade-key.js';
import { UpgradeRollouts } from './agents/upgrades/rollouts.js';
import { UpgradeStore } from './store/upgrade-store.js';

export type { ControlPlane, ControlPlaneOptions, ControlPlanePorts } from './control-plane-types.js';

/** How often rollouts look for agents gone silent while being upgraded (UpgradeRollouts.sweep). */
const UPGRADE_SWEEP_MS = 1_000;

/** Starts the control plane: SQLite, the embedded broker on TCP and WebSocket, the HTTP API, the sweeper. */
export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const logger = options.logger ?? createLogger(options.logLevel);
  const clock = options.clock ?? systemClock;
  ensurePrivateDir(options.dataDir);
  const db = openDatabase(join(options.dataDir, 'tether.db'));
  const table = new SqliteRouteTable(db);
  // The group commit's transactions, watched by the agents' write-through cache.
  const commitWatch = new CommitWatch();
  const agents = new AgentStore(db, commitWatch);
  const services = new ServiceStore(db);
  const bus = new EventBus();
  const audit = new AuditLog({ db, clock });
  const tokens = new TokenStore(db);
  const limits = brokerLimits(options.limits);
  const telemetry = new AgentTelemetry();
  const events = new EventLog({ clock });
  events.attach(bus);
  const metrics = new Metrics({ routes: () => table });
  const callStats = new CallStats(metrics, clock);
  // Route sync and liveness: soft state every agent sends again, so its commits are ordered, not fsynced.
  const commits = new GroupCommit({
    db,
    logger,
    durable: false,
    watch: commitWatch,
    committed: (ms) => metrics.stages.add('commit', ms),
  });
  markRestarted(db, agents, table, clock.now());

  const bootstrapTokenFile =
    options.bootstrapToken === false
      ? undefined
      : ensureBootstrapToken(options.dataDir, { tokens, audit }, clock.now(), logger);
  // Cluster (docs/cluster.md): the broker's emitter and persistence live in Redis.
  const replicaId = options.redisUrl ? (options.replicaId ?? newReplicaId()) : undefined;
  const fabric: RedisFabric | undefined =
    options.redisUrl && replicaId ? await openRedisFabric(options.redisUrl, replicaId, logger) : undefined;
  const {
    aedes: broker,
    guard,
    forget: forgetAgent,
    local,
  } = await createBroker({ db, agents, metrics, logger, audit, clock, limits, fabric });
  countBrokerTraffic(broker, metrics);
  const transport = new AedesTransport(broker);
  const distribution = new Distribution({ table, agents, services, transport, logger });
  const liveness = new Liveness({
    commits,
    table,
    agents,
    distribution,
    bus,
    logger,
    clock,
    stages: metrics.stages,
  });
  liveness.attach(broker);
  metrics.readFrom({ connections: () => liveness.size });
  // Fleet upgrades: builds signed by the data dir's key, rollouts persisted, moved on as agents subscribe.
  const upgradeKey = loadUpgradeKey(options.dataDir);
  const upgrades = new UpgradeRollouts({
    store: new UpgradeStore(db),
    agents,
    transport,
    key: upgradeKey,
    buildsDir: join(options.dataDir, 'builds'),
    audit,
    logger,
    clock,
    isConnected: (id) => liveness.isConnected(id),
  });
  upgrades.attach(broker);
  const {
    sync: ctx,
    reports: { store: reports, feed, ticks: reportTicks, ingress, retention },
    rotation,
  } = await startAgentIngress({
    db,
    commits,
    table,
    agents,
    telemetry,
    transport,
    distribution,
    liveness,
    bus,
    audit,
    metrics,
    logger,
    clock,
    broker,
    clustered: fabric !== undefined,
    hubVersion: CONTROL_PLANE_VERSION,
    retention: options.retention,
    retentionIntervalMs: options.retentionIntervalMs,
    reportProtocol: options.reportProtocol,
    upgrades,
  });

  const site = options.site ?? 'central';
  const { centralServices, policies, health, picker, conflicts, policyChanges } = await startServices({
    db,
    table,
    services,
    distribution,
    bus,
    logger,
    clock,
    site,
    config: options.services ?? [],
    policies: options.policies ?? {},
    audit,
    metrics,
  });
  metrics.readFrom({ conflicts: () => conflicts.count() });
  const calls = await startCalls({
    transport,
    agents,
    connections: liveness,
    metrics,
    logger,
    clock,
    picker,
    stats: callStats,
    isConnected: (id) => liveness.isConnected(id),
    ...(replicaId === undefined ? {} : { replicaId, isLocal: (id: string) => liveness.isLocal(id) }),
    ...(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes }),
    ...(options.streamLimits ? { streamLimits: options.streamLimits } : {}),
    sockets: new AgentSocketWriter(broker, local),
  });
  metrics.readFrom({ tunnels: () => calls.tunnels.figures() });
  const tcpListeners = new TcpListeners({
    store: new ListenerStore(db),
    audit,
    streams: calls.streams,
    own: calls.ownListeners,
    metrics,
    logger,
    clock,
  });

  const sweeper = new StaleSweeper({
    table,
    bus,
    logger,
    clock,
    graceMs: options.staleGraceMs ?? 5 * 60_000,
    ...(options.sweepIntervalMs === undefined ? {} : { intervalMs: options.sweepIntervalMs }),
  });

  let ready = false;
  const auth = new RequestAuth({ tokens, audit, metrics, logger });
  const tokenSockets = new TokenSockets({ exists: (id) => tokens.get(id) !== undefined, logger });
  const revocations = new Revocations({
    db,
    agents,
    table,
    audit,
    bus,
    metrics,
    logger,
    clock,
    dropTunnel: (agentId, reason) => calls.tunnels.drop(agentId, reason),
    disconnect: (agentId) => liveness.kick(agentId),
    forget: forgetAgent,
    announce: (agentId) => announceAgent(ctx, agentId),
  });
  // Another process's commit on the SQLite file (the CLI): its revocations, token deletions, central services and
  // policies (`tether-cp apply`) take effect here.
  const dbWatch = new DataVersionWatch({ db, clock, logger });
  dbWatch.onChange(() => revocations.enforceStored());
  dbWatch.onChange(() => tokenSockets.sweep());
  dbWatch.onChange(() => policyChanges.announce());
  dbWatch.onChange(() => {
    centralServices.reconcileStored().catch((err: unknown) => {
      logger.error({ err }, 'making the routes of central services another process changed failed');
    });
  });
  const cluster: ClusterMember | undefined =
    fabric && replicaId
      ? await joinCluster({
          fabric,
          replicaId,
          db,
          transport,
          liveness,
          clock,
          logger,
          resync: (agentId) => void requestResync(ctx, agentId, 'connected to another replica'),
          onApplied: localEffectsOf({ revocations, tokenSockets, conflicts }),
        })
      : undefined;

  const fingerprint = options.tls ? certificateFingerprint(options.tls.cert) : undefined;
  const ports: ControlPlanePorts = { http: 0 };
  const http = createHttp({
    options,
    guard,
    auth,
    router: calls.router,
    streams: calls.streams,
    listeners: tcpListeners,
    maxBodyBytes: calls.maxBodyBytes,
    table,
    agents,
    services,
    centralServices,
    policies,
    health,
    conflicts,
    metrics,
    logger,
    clock,
    reports,
    feed,
    tokens,
    audit,
    revocations,
    rotation,
    tokenSockets,
    bus,
    telemetry,
    events,
    site,
    maxPacketBytes: limits.maxPacketBytes,
    db,
    fingerprint,
    upgrades,
    upgradeKey: upgradeKey.publicKeyPem,
    mqttUrls: (host) =>
      options.publicMqttUrls?.length
        ? options.publicMqttUrls
        : defaultMqttUrls(host, { ...ports, secure: options.tls !== undefined }),
    claims: cluster?.claims,
    isReady: () => ready && db.open && !broker.closed,
    notReadyReason: () => cluster?.notReadyReason(),
  });
  const listeners = http.listeners;
  const stats = new StatsTicker({
    bus,
    clock,
    logger,
    counts: createFleetCounts({ db, table, isConnected: (id) => liveness.isConnected(id) }),
    calls: () => callStats.drain(),
    reports: () => reportTicks.drain(),
    tunnels: () => calls.tunnels.figures(),
    hasViewers: () => http.eventViewers() > 0,
    ...(options.statsIntervalMs === undefined ? {} : { intervalMs: options.statsIntervalMs }),
  });

  let upgradeSweep: NodeJS.Timeout | undefined;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      ready = false;
      sweeper.stop();
      clearInterval(upgradeSweep);
      retention.stop();
      dbWatch.stop();
      stats.stop();
      const stopped = listeners.close();
      await tcpListeners.close();
      await calls.close();
      await cluster?.close();
      await transport.close();
      // One control plane: every agent is marked offline in one statement below, not one commit per disconnect.
      if (!cluster) liveness.stopping();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await fabric?.close();
      await stopped;
      ingress.flush();
      commits.flush();
      if (!cluster) markRestarted(db, agents, table, clock.now());
      audit.stop();
      db.close();
      logger.info('control plane stopped');
    })());

  try {
    Object.assign(ports, await listeners.listen());
    await tcpListeners.start(options.listeners ?? []);
    sweeper.start();
    retention.start();
    audit.start();
    dbWatch.start();
    revocations.enforceStored();
    await upgrades.resume();
    upgradeSweep = setInterval(() => {
      upgrades.sweep().catch((err: unknown) => logger.error({ err }, 'sweeping upgrade rollouts failed'));
    }, UPGRADE_SWEEP_MS);
    upgradeSweep.unref();
    stats.start();
    ready = true;
    logger.info({ ...ports, tls: fingerprint !== undefined, fingerprint }, 'control plane listening');
    return {
      ports: { ...ports },
      ...(fingerprint ? { fingerprint } : {}),
      db,
      table,
      broker,
      metrics,
      bus,
      reports,
      feed,
      audit,
      tokens,
      bootstrapTokenFile,
      routes: http.routes,
      app: http.app,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
