import { linkOptions } from '../config/link-options.js';
import { CredentialKeeper } from '../credentials/credential-keeper.js';
import type { TlsPlan } from '../link/tls/tls-plan.js';
import { MqttTransport } from '../link/mqtt-transport.js';
import { ReportForwarder } from '../reports/forwarder.js';
import { Advertiser } from '../sync/advertiser.js';
import { CentralRoutes } from '../sync/central-routes.js';
import { RouteSync } from '../sync/route-sync.js';
import type { UndoStack } from '../undo-stack.js';
import { UpgradeReceiver } from '../upgrades/upgrade-receiver.js';
import { AGENT_VERSION } from '../version.js';
import type { LocalState } from './open-local-state.js';
import type { StartContext } from './start-context.js';

/** The parts that talk to the control plane: the MQTT link, the report uplink, upgrades and route sync. */
export interface HubLink {
  transport: MqttTransport;
  forwarder: ReportForwarder;
  upgrades: UpgradeReceiver;
  sync: RouteSync;
}

/** Builds the hub link's parts (nothing started but the MQTT link, which dials in the background). */
export function createHubLink(
  ctx: StartContext,
  tls: TlsPlan,
  { table, cache, outbox }: LocalState,
  undo: UndoStack,
): HubLink {
  const { options, identity, controlPlane, clock, logger, stateDir } = ctx;
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
  return { transport, forwarder, upgrades, sync };
}

/**
 * Starts upgrades, route sync and the report forwarder. Each stop is pushed before its start: a start that fails
 * half-way has its started half undone too.
 */
export async function startHubLink({ upgrades, sync, forwarder }: HubLink, undo: UndoStack): Promise<void> {
  undo.defer('upgrades', () => upgrades.stop());
  upgrades.start();
  undo.defer('route sync', () => sync.stop());
  await sync.start();
  undo.defer('report forwarder', () => forwarder.stop());
  await forwarder.start();
}
