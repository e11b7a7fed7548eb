import { once } from 'node:events';
import { createServer as createHttpServer, type RequestListener, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { getRequestListener } from '@hono/node-server';
import type { Aedes } from 'aedes';
import type BetterSqlite3 from 'better-sqlite3';
import type { Hono } from 'hono';
import {
  HealthTracker,
  HUB_SUBSCRIPTIONS,
  systemClock,
  type CentralService,
  type Clock,
  type ServicePolicy,
} from '@tether/shared';
import { AedesTransport } from './aedes-transport.js';
import { AuditLog } from './audit/audit-log.js';
import { ensureBootstrapToken } from './auth/bootstrap-token.js';
import { RequestAuth, sendAuthRefusal } from './auth/request-auth.js';
import { requestActor } from './auth/token-routes.js';
import { TokenStore } from './auth/token-store.js';
import { brokerLimits, type BrokerLimitsOverride } from './broker/limits.js';
import { AgentTelemetry } from './agent-telemetry.js';
import { countBrokerTraffic } from './broker/traffic-metrics.js';
import { CallStats } from './calls/call-stats.js';
import type { RoutePicker } from './calls/route-picker.js';
import { startCalls } from './calls/start-calls.js';
import { createBroker } from './broker/create-broker.js';
import { CredentialRotation } from './credentials/credential-rotation.js';
import { defaultMqttUrls } from './enrollment/mqtt-urls.js';
import { openDatabase } from './db/open-database.js';
import { Distribution } from './distribution.js';
import { EventBus } from './event-bus.js';
import { EventLog } from './event-log.js';
import { createApp } from './http/app.js';
import { attachWebSockets } from './http/upgrade.js';
import { Liveness } from './liveness.js';
import { createLogger, type Logger } from './logger.js';
import { Metrics } from './metrics.js';
import { PolicyRoutePicker } from './policy/policy-route-picker.js';
import { PolicyStore } from './policy/policy-store.js';
import { ReportFeed } from './reports/report-feed.js';
import { ReportIngress } from './reports/report-ingress.js';
import { ReportRetention, type RetentionPolicy } from './reports/report-retention.js';
import { ReportStore } from './reports/report-store.js';
import { Revocations } from './revocation/revocations.js';
import { ReportTicks } from './reports/report-ticks.js';
import { CentralServices } from './services/central-services.js';
import { StaleSweeper } from './stale-sweeper.js';
import { StatsTicker } from './stats-ticker.js';
import { AgentStore } from './store/agent-store.js';
import { createFleetCounts } from './store/fleet-counts.js';
import { ServiceStore } from './store/service-store.js';
import { SqliteRouteTable } from './store/sqlite-route-table.js';
import type { SyncContext } from './sync/context.js';
import { handleStatusPayload } from './sync/handle-status.js';
import { handleAdvertPayload } from './sync/ingress.js';
import { certificateFingerprint } from './tls/server-tls.js';
import { joinCluster, newReplicaId, type ClusterMember } from './cluster/join-cluster.js';
import { openRedisFabric, type RedisFabric } from './cluster/redis-fabric.js';
import { requestResync } from './sync/inbox.js';

/** Options of `startControlPlane`. Ports default to 1883/8080 (8883 for mqtts); 0 picks a free port. */
export interface ControlPlaneOptions {
  dataDir: string;
  /** Plain MQTT/TCP port. Without `tls` it defaults to 1883; with `tls` there is no plain listener unless set. */
  mqttPort?: number;
  httpPort?: number;
  /** Certificate and key (PEM): MQTT over TLS on `mqttsPort`, and the HTTP port serves HTTPS (and wss). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** MQTT over TLS port, with `tls` (default 8883). */
  mqttsPort?: number;
  /** MQTT URLs handed to enrolling agents (default: this server's listeners at the host name the agent used). */
  publicMqttUrls?: string[];
  /** MQTT listen address (default 0.0.0.0: agents dial in from anywhere). */
  host?: string;
  /** HTTP listen address (default 127.0.0.1). */
  httpHost?: string;
  /** How long routes stay stale before deletion, in ms (default 5 minutes). */
  staleGraceMs?: number;
  /** How often the stale sweeper runs, in ms. */
  sweepIntervalMs?: number;
  /** The site stamped on central routes (default "central"). */
  site?: string;
  /** Central services from the config file. */
  services?: CentralService[];
  /** Route selection policies from the config file, by service name. */
  policies?: Record<string, ServicePolicy>;
  /** Request body limit of calls through the network, in bytes (default 64 MiB). */
  maxBodyBytes?: number;
  logger?: Logger;
  logLevel?: string;
  clock?: Clock;
  /** Report retention (default: keep everything). */
  retention?: RetentionPolicy;
  /** How often retention runs, in ms (default 60 s). */
  retentionIntervalMs?: number;
  /** Abuse limits of the broker (defaults: DEFAULT_BROKER_LIMITS). */
  limits?: BrokerLimitsOverride;
  /** Create an admin token in `DATA_DIR/admin-token` when none exists (default true). */
  bootstrapToken?: boolean;
  /** How often the `stats` event goes out while someone watches `/api/v1/events`, in ms (default 2 s). */
  statsIntervalMs?: number;
  /** Join the cluster on this Redis (docs/cluster.md); without it, one embedded control plane. */
  redisUrl?: string;
  /** This replica's id in the cluster (default `replica-<random>`). */
  replicaId?: string;
}

/** The bound ports: `mqtt` (plain TCP) and `mqtts` only when listening. */
export interface ControlPlanePorts {
  mqtt?: number;
  mqtts?: number;
  http: number;
}

/** A running control plane. */
export interface ControlPlane {
  ports: ControlPlanePorts;
  /** `sha256:<hex>` of the TLS certificate, when serving TLS. */
  fingerprint?: string;
  db: BetterSqlite3.Database;
  table: SqliteRouteTable;
  broker: Aedes;
  metrics: Metrics;
  bus: EventBus;
  reports: ReportStore;
  feed: ReportFeed;
  audit: AuditLog;
  tokens: TokenStore;
  /** The file holding the admin token created at this start, if one was. */
  bootstrapTokenFile: string | undefined;
  /** The HTTP API (hono): its `routes` are what the OpenAPI document must cover. */
  app: Hono;
  /** Closes listeners, broker and database. Idempotent. */
  close(): Promise<void>;
}

async function listen(server: NetServer | HttpServer, port: number, host: string): Promise<number> {
  server.listen(port, host);
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([err]) => Promise.reject(err as Error)),
  ]);
  return (server.address() as AddressInfo).port;
}

function closeServer(server: NetServer | HttpServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Starts the control plane: SQLite, the embedded broker on TCP and WebSocket, the HTTP API, the sweeper. */
export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const logger = options.logger ?? createLogger(options.logLevel);
  const clock = options.clock ?? systemClock;
  const db = openDatabase(join(options.dataDir, 'tether.db'));
  const table = new SqliteRouteTable(db);
  const agents = new AgentStore(db);
  const services = new ServiceStore(db);
  const bus = new EventBus();
  const audit = new AuditLog({ db, clock });
  const tokens = new TokenStore(db);
  const limits = brokerLimits(options.limits);
  const telemetry = new AgentTelemetry();
  const events = new EventLog({ clock });
  events.attach(bus);
  const metrics = new Metrics({
    routes: () => table,
    connections: () => liveness.size,
    tunnels: () => calls.tunnels.figures(),
  });
  const callStats = new CallStats(metrics, clock);

  // After a restart nobody is connected: serve the last known state at once, marked stale until each agent resyncs.
  const startedAt = clock.now();
  db.transaction(() => {
    agents.setAllOffline();
    table.markStale({ originKind: 'edge' }, startedAt);
  }).immediate();

  const bootstrapTokenFile =
    options.bootstrapToken === false
      ? undefined
      : ensureBootstrapToken(options.dataDir, { tokens, audit }, clock.now(), logger);
  // Cluster (docs/cluster.md): the broker's emitter and persistence live in Redis.
  const replicaId = options.redisUrl ? (options.replicaId ?? newReplicaId()) : undefined;
  const fabric: RedisFabric | undefined =
    options.redisUrl && replicaId ? await openRedisFabric(options.redisUrl, replicaId, logger) : undefined;
  let cluster: ClusterMember | undefined;
  const {
    aedes: broker,
    guard,
    forget: forgetAgent,
  } = await createBroker({ db, agents, metrics, logger, audit, clock, limits, fabric });
  countBrokerTraffic(broker, metrics);
  const transport = new AedesTransport(broker);
  const distribution = new Distribution({ table, agents, services, transport, logger });
  const liveness = new Liveness({ db, table, agents, distribution, bus, logger, clock });
  liveness.attach(broker);
  const ctx: SyncContext = {
    db,
    table,
    agents,
    telemetry,
    transport,
    distribution,
    bus,
    metrics,
    logger,
    clock,
    isConnected: (id) => liveness.isConnected(id),
    ...(fabric ? { isLocal: (id: string) => liveness.isLocal(id) } : {}),
  };
  await transport.subscribe(
    HUB_SUBSCRIPTIONS.adverts,
    (topic, payload) => void handleAdvertPayload(ctx, topic, payload),
  );
  const reports = new ReportStore(db);
  const feed = new ReportFeed();
  const reportTicks = new ReportTicks(metrics);
  feed.subscribe((report) => reportTicks.observe(report));
  const ingress = new ReportIngress({ store: reports, transport, feed, metrics, logger, clock });
  await transport.subscribe(HUB_SUBSCRIPTIONS.reports, (topic, payload) =>
    ingress.handlePayload(topic, payload),
  );
  const retention = new ReportRetention({
    db,
    metrics,
    logger,
    clock,
    policy: options.retention ?? { streams: {} },
    intervalMs: options.retentionIntervalMs ?? 60_000,
  });
  await transport.subscribe(
    HUB_SUBSCRIPTIONS.statuses,
    (topic, payload) => void handleStatusPayload(ctx, topic, payload),
  );

  const rotation = new CredentialRotation({
    db,
    agents,
    audit,
    transport,
    metrics,
    logger,
    clock,
    isConnected: (id) => liveness.isConnected(id),
  });
  rotation.attach(broker);
  await transport.subscribe(HUB_SUBSCRIPTIONS.credentials, (topic, payload) =>
    rotation.handlePayload(topic, payload),
  );

  const site = options.site ?? 'central';
  const centralServices = new CentralServices({
    db,
    table,
    services,
    distribution,
    bus,
    logger,
    clock,
    site,
  });
  await centralServices.syncConfig(options.services ?? []);
  const policies = new PolicyStore(db);
  policies.syncConfig(options.policies ?? {}, clock.now());
  const health = new HealthTracker();
  // Health of an instance whose route is gone (stale grace over, withdrawn) is dropped with it.
  bus.subscribe((e) => {
    if (e.type === 'route-deleted') health.forget(e.route.key);
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
  const revocations = new Revocations({
    db,
    agents,
    table,
    audit,
    bus,
    metrics,
    logger,
    clock,
    // Both run only once listening (API, poll), when `calls` exists.
    dropTunnel: (agentId, reason) => calls.tunnels.drop(agentId, reason),
    disconnect: (agentId) => liveness.kick(agentId),
    forget: forgetAgent,
  });
  if (fabric && replicaId) {
    cluster = await joinCluster({
      fabric,
      replicaId,
      db,
      transport,
      liveness,
      clock,
      logger,
      resync: (agentId) => void requestResync(ctx, agentId, 'connected to another replica'),
      onApplied: (change) => {
        if (change.table === 'service_policies') policies.forget(change.key);
        if (change.table === 'agents' && change.row?.['revoked_at'] != null) revocations.enforce(change.key);
      },
    });
  }
  const fingerprint = options.tls ? certificateFingerprint(options.tls.cert) : undefined;
  const ports: ControlPlanePorts = { http: 0 };
  const app = createApp({
    table,
    agents,
    services,
    centralServices,
    policies,
    health,
    metrics,
    logger,
    clock,
    reports,
    tokens,
    audit,
    auth,
    revocations,
    bus,
    telemetry,
    events,
    site,
    enrollment: {
      db,
      agents,
      rotation,
      audit,
      actorOf: (c) => requestActor(c, auth),
      logger,
      clock,
      fingerprint,
      mqttUrls: (host) =>
        options.publicMqttUrls?.length
          ? options.publicMqttUrls
          : defaultMqttUrls(host, { ...ports, secure: options.tls !== undefined }),
      claims: cluster?.claims,
    },
    isReady: () => ready && db.open && !broker.closed,
    notReadyReason: () => cluster?.notReadyReason(),
  });
  const picker: RoutePicker = new PolicyRoutePicker({
    table,
    policyOf: (service) => policies.get(service)?.policy,
    health,
    clock,
  });
  const calls = await startCalls({
    transport,
    agents,
    bus,
    metrics,
    logger,
    clock,
    picker,
    stats: callStats,
    isConnected: (id) => liveness.isConnected(id),
    ...(replicaId === undefined ? {} : { replicaId, isLocal: (id: string) => liveness.isLocal(id) }),
    ...(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes }),
    callerOf: (req) => `central:${auth.principalOf(req)?.name ?? 'anonymous'}`,
  });
  // Every MQTT listener, TCP and TLS, hands its sockets to the same guard (connect rate, packet size, pre-CONNECT
  // bytes); WebSockets come through http/upgrade.ts to the same guard.
  const handleMqttSocket = (socket: Duplex): void => guard.guardSocket(socket);
  const plainMqtt = options.tls === undefined || options.mqttPort !== undefined;
  const mqttServer = plainMqtt ? createServer({ noDelay: true }, handleMqttSocket) : undefined;
  const tlsOptions = options.tls && {
    cert: options.tls.cert,
    key: options.tls.key,
    handshakeTimeout: 10_000,
  };
  const mqttsServer = tlsOptions && createTlsServer({ ...tlsOptions, noDelay: true }, handleMqttSocket);
  // Bearer tokens first (public routes pass); then `/call/...` on plain node:http streams in front of hono (its
  // request-body path is slow); hono gets the rest.
  const honoListener = getRequestListener(app.fetch);
  const onRequest: RequestListener = (req, res) => {
    const decision = auth.check(req);
    if (!decision.ok) return sendAuthRefusal(req, res, decision);
    if (!calls.gateway(req, res)) void honoListener(req, res);
  };
  const httpServer: HttpServer = tlsOptions
    ? createHttpsServer({ ...tlsOptions, noDelay: true }, onRequest)
    : createHttpServer(onRequest);
  const sockets = attachWebSockets(httpServer, {
    guard,
    auth,
    bus,
    logger,
    feed,
    maxPacketBytes: limits.maxPacketBytes,
  });
  const stats = new StatsTicker({
    bus,
    clock,
    logger,
    counts: createFleetCounts(db),
    calls: () => callStats.drain(),
    reports: () => reportTicks.drain(),
    tunnels: () => calls.tunnels.figures(),
    hasViewers: () => sockets.eventViewers() > 0,
    ...(options.statsIntervalMs === undefined ? {} : { intervalMs: options.statsIntervalMs }),
  });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      ready = false;
      sweeper.stop();
      retention.stop();
      revocations.stop();
      stats.stop();
      stats.stop();
      sockets.close();
      const stopped = [mqttServer, mqttsServer, httpServer].flatMap((s) => (s ? [closeServer(s)] : []));
      httpServer.closeAllConnections();
      await calls.close();
      await cluster?.close();
      await transport.close();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await fabric?.close();
      await Promise.all(stopped);
      ingress.flush();
      audit.stop();
      db.close();
      logger.info('control plane stopped');
    })());

  try {
    const host = options.host ?? '0.0.0.0';
    if (mqttServer) ports.mqtt = await listen(mqttServer, options.mqttPort ?? 1883, host);
    if (mqttsServer) ports.mqtts = await listen(mqttsServer, options.mqttsPort ?? 8883, host);
    ports.http = await listen(httpServer, options.httpPort ?? 8080, options.httpHost ?? '127.0.0.1');
    sweeper.start();
    retention.start();
    audit.start();
    revocations.start();
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
      app,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
