import type { Aedes } from 'aedes';
import { HUB_SUBSCRIPTIONS } from '@tether/shared';
import type { AuditLog } from '../audit/audit-log.js';
import { CredentialRotation } from './credentials/credential-rotation.js';
import type { Liveness } from './liveness.js';
import type { RetentionPolicy } from '../reports/report-retention.js';
import { startReports, type Reports } from '../reports/start-reports.js';
import type { SyncContext } from './sync/context.js';
import { handleStatusPayload } from './sync/handle-status.js';
import { handleAdvertPayload } from './sync/ingress.js';

/** What the hub's handling of agent messages needs: the sync handlers' context (less liveness) and more. */
export interface AgentIngressDeps extends Omit<SyncContext, 'isConnected' | 'isLocal' | 'audit'> {
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
}

/** The running handlers of agent messages. */
export interface AgentIngress {
  /** What the route-sync handlers (adverts, statuses) touch. */
  sync: SyncContext;
  reports: Reports;
  rotation: CredentialRotation;
}

/**
 * Subscribes the hub to everything agents publish, in this order: adverts (route sync), reports, statuses, and
 * credential rotation confirmations.
 */
export async function startAgentIngress(deps: AgentIngressDeps): Promise<AgentIngress> {
  const { liveness, audit, broker, clustered, retention, retentionIntervalMs, reportProtocol, ...context } =
    deps;
  const { db, agents, transport, metrics, logger, clock } = context;
  const sync: SyncContext = {
    ...context,
    audit,
    isConnected: (id) => liveness.isConnected(id),
    ...(clustered ? { isLocal: (id: string) => liveness.isLocal(id) } : {}),
  };
  await transport.subscribe(
    HUB_SUBSCRIPTIONS.adverts,
    (topic, payload) => void handleAdvertPayload(sync, topic, payload),
  );
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
  await transport.subscribe(
    HUB_SUBSCRIPTIONS.statuses,
    (topic, payload) => void handleStatusPayload(sync, topic, payload),
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
  return { sync, reports, rotation };
}
