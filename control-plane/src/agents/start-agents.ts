import type { Aedes } from 'aedes';
import {
  HUB_SUBSCRIPTIONS,
  type CredentialMessage,
  type ReportsUpMessage,
  type UpgradeMessage,
} from '@tether/shared';
import type { AuditLog } from '../audit/audit-log.js';
import { CredentialRotation } from './credentials/credential-rotation.js';
import type { Liveness } from './liveness.js';
import type { RetentionPolicy } from '../reports/report-retention.js';
import { startReports, type Reports } from '../reports/start-reports.js';
import type { SyncContext } from './sync/context.js';
import { routeAgentTopics, type AgentTopic } from './agent-topics.js';
import { statusTopic } from './sync/handle-status.js';
import { advertTopic } from './sync/ingress.js';
import { SnapshotParts } from './sync/snapshot-parts.js';
import type { UpgradeRollouts } from './upgrades/rollouts.js';

/** What the hub's handling of agent messages needs: the sync handlers' context (less liveness) and more. */
export interface AgentIngressDeps extends Omit<
  SyncContext,
  'isConnected' | 'isLocal' | 'audit' | 'snapshotParts' | 'disconnect'
> {
  liveness: Liveness;
  audit: AuditLog;
  /** The embedded broker (credential rotation watches its connections). */
  broker: Aedes;
  /** A cluster member: only the replica holding an agent's socket answers its requests. */
  clustered: boolean;
  /** Report retention (default: keep everything). */
  retention?: RetentionPolicy | undefined;
  /** How often retention runs, in ms (default 60 s). */
  retentionIntervalMs?: number | undefined;
  /** The highest report protocol version to speak (default the newest). */
  reportProtocol?: number | undefined;
  /** Fleet upgrades: chunk requests and outcomes on the agents' upgrades topics. */
  upgrades: UpgradeRollouts;
}

/** The running handlers of agent messages. */
export interface AgentIngress {
  /** What the route-sync handlers (adverts, statuses) touch. */
  sync: SyncContext;
  reports: Reports;
  rotation: CredentialRotation;
}

/**
 * Starts the handling of everything agents publish, through the one agent-topic router: adverts (route sync),
 * report batches, statuses and credential confirmations, each validated once and handled by type.
 */
export async function startAgentIngress(deps: AgentIngressDeps): Promise<AgentIngress> {
  const {
    liveness,
    audit,
    broker,
    clustered,
    retention,
    retentionIntervalMs,
    reportProtocol,
    upgrades,
    ...context
  } = deps;
  const { db, agents, transport, metrics, logger, clock } = context;
  // A snapshot in the making is forgotten when its agent goes offline (its next connect starts a new one).
  const snapshotParts = new SnapshotParts();
  liveness.onConnectionChange((agentId, connected) => {
    if (!connected) snapshotParts.drop(agentId);
  });
  const sync: SyncContext = {
    ...context,
    snapshotParts,
    audit,
    isConnected: (id) => liveness.isConnected(id),
    disconnect: (id) => liveness.kick(id),
    ...(clustered ? { isLocal: (id: string) => liveness.isLocal(id) } : {}),
  };
  const reports = await startReports({
    db,
    transport,
    metrics,
    logger,
    clock,
    retention,
    retentionIntervalMs,
    protocol: reportProtocol,
  });
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
  const { ingress } = reports;
  const reportTopic: AgentTopic<ReportsUpMessage> = {
    name: 'report batch',
    filter: HUB_SUBSCRIPTIONS.reports,
    decode: (payload) => ingress.decode(payload),
    refused: (agentId, reason, detail) => ingress.refused(agentId, reason, detail),
    handle: (agentId, message) => ingress.dispatch(agentId, message),
  };
  const credentialTopic: AgentTopic<CredentialMessage> = {
    name: 'credential message',
    filter: HUB_SUBSCRIPTIONS.credentials,
    decode: (payload) => rotation.decode(payload),
    handle: (agentId, message) => rotation.dispatch(agentId, message),
  };
  const upgradeTopic: AgentTopic<UpgradeMessage> = {
    name: 'upgrade message',
    filter: HUB_SUBSCRIPTIONS.upgrades,
    decode: (payload) => upgrades.decode(payload),
    handle: (agentId, message) => upgrades.dispatch(agentId, message),
  };
  await routeAgentTopics({ transport, metrics, logger }, [
    advertTopic(sync),
    reportTopic,
    statusTopic(sync),
    credentialTopic,
    upgradeTopic,
  ]);
  return { sync, reports, rotation };
}
