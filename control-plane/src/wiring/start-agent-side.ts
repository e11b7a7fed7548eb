import { join } from 'node:path';
import { AgentTelemetry } from '../agents/agent-telemetry.js';
import { Liveness } from '../agents/liveness.js';
import { startAgentIngress, type AgentIngress } from '../agents/start-agents.js';
import { Distribution } from '../agents/sync/distribution.js';
import { StaleSweeper } from '../agents/sync/stale-sweeper.js';
import { UpgradeRollouts } from '../agents/upgrades/rollouts.js';
import { loadUpgradeKey } from '../agents/upgrades/upgrade-key.js';
import { UpgradeStore } from '../store/upgrade-store.js';
import { CONTROL_PLANE_VERSION } from '../version.js';
import type { Base } from './open-base.js';
import type { BrokerParts } from './start-broker.js';
import type { StartContext } from './start-context.js';

/** Everything about agents over MQTT: liveness, route distribution, fleet upgrades, the handlers of their topics. */
export interface AgentSide {
  telemetry: AgentTelemetry;
  distribution: Distribution;
  liveness: Liveness;
  /** The public key agents verify builds with (PEM). */
  upgradeKeyPem: string;
  upgrades: UpgradeRollouts;
  ingress: AgentIngress;
  /** Removes routes stale longer than the grace (started with the rest). */
  sweeper: StaleSweeper;
}

/** Attaches liveness and upgrades to the broker and starts the handling of every agent topic. */
export async function startAgentSide(ctx: StartContext, base: Base, mqtt: BrokerParts): Promise<AgentSide> {
  const { options, clock, logger } = ctx;
  const { db, commits, table, agents, services, bus, audit, metrics } = base;
  const { broker, transport, fabric } = mqtt;
  const telemetry = new AgentTelemetry();
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
  const ingress = await startAgentIngress({
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
  const sweeper = new StaleSweeper({
    table,
    bus,
    logger,
    clock,
    graceMs: options.staleGraceMs ?? 5 * 60_000,
    ...(options.sweepIntervalMs === undefined ? {} : { intervalMs: options.sweepIntervalMs }),
  });
  return {
    telemetry,
    distribution,
    liveness,
    upgradeKeyPem: upgradeKey.publicKeyPem,
    upgrades,
    ingress,
    sweeper,
  };
}
