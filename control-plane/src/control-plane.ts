import { systemClock } from '@tether/shared';
import { ensureBootstrapToken } from './auth/bootstrap-token.js';
import { brokerLimits } from './broker/limits.js';
import { createLogger } from './observability/logger.js';
import { StatsTicker } from './observability/stats-ticker.js';
import { markRestarted } from './store/mark-restarted.js';
import { createFleetCounts } from './store/fleet-counts.js';
import { certificateFingerprint } from './tls/server-tls.js';
import type { ControlPlane, ControlPlaneOptions, ControlPlanePorts } from './control-plane-types.js';
import type { StartContext } from './wiring/start-context.js';
import { openBase } from './wiring/open-base.js';
import { startBroker } from './wiring/start-broker.js';
import { startAgentSide } from './wiring/start-agent-side.js';
import { startCallSide } from './wiring/start-call-side.js';
import { followChanges } from './wiring/follow-changes.js';
import { buildHttp } from './wiring/build-http.js';

export type { ControlPlane, ControlPlaneOptions, ControlPlanePorts } from './control-plane-types.js';

/** How often rollouts look for agents gone silent while being upgraded (UpgradeRollouts.sweep). */
const UPGRADE_SWEEP_MS = 1_000;

/** Starts the control plane: SQLite, the embedded broker on TCP and WebSocket, the HTTP API, the sweeper. */
export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const logger = options.logger ?? createLogger(options.logLevel);
  const clock = options.clock ?? systemClock;
  const ctx: StartContext = { options, clock, logger };
  const base = openBase(ctx);
  const { db, table, agents, metrics, bus, audit, tokens, commits, callStats } = base;
  const limits = brokerLimits(options.limits);

  const bootstrapTokenFile =
    options.bootstrapToken === false
      ? undefined
      : ensureBootstrapToken(options.dataDir, { tokens, audit }, clock.now(), logger);
  const mqtt = await startBroker(ctx, base, limits);
  const { broker, transport, fabric } = mqtt;
  const agentSide = await startAgentSide(ctx, base, mqtt);
  const { liveness, upgrades, sweeper } = agentSide;
  const { store: reports, feed, ticks: reportTicks, ingress, retention } = agentSide.ingress.reports;
  const callSide = await startCallSide(ctx, base, mqtt, agentSide);
  const { calls, tcpListeners } = callSide;

  let ready = false;
  const followers = await followChanges(ctx, base, mqtt, agentSide, callSide);
  const { revocations, dbWatch, cluster } = followers;

  const fingerprint = options.tls ? certificateFingerprint(options.tls.cert) : undefined;
  const ports: ControlPlanePorts = { http: 0 };
  const http = buildHttp(
    ctx,
    { base, mqtt, agentSide, callSide, followers, limits },
    { ports, fingerprint, isReady: () => ready && db.open && !broker.closed },
  );
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
