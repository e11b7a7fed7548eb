import { Revocations } from '../agents/revocation/revocations.js';
import { announceAgent } from '../agents/sync/announce-agent.js';
import { requestResync } from '../agents/sync/inbox.js';
import { TokenSockets } from '../auth/token-sockets.js';
import { joinCluster, type ClusterMember } from '../cluster/join-cluster.js';
import { localEffectsOf } from '../cluster/local-effects.js';
import { DataVersionWatch } from '../db/data-version-watch.js';
import type { Base } from './open-base.js';
import type { AgentSide } from './start-agent-side.js';
import type { BrokerParts } from './start-broker.js';
import type { CallSide } from './start-call-side.js';
import type { StartContext } from './start-context.js';

/** What makes changes made elsewhere (the CLI on the SQLite file, other replicas) take effect here. */
export interface ChangeFollowers {
  revocations: Revocations;
  /** WebSockets held open by an API token, closed when it is deleted. */
  tokenSockets: TokenSockets;
  /** Another process's commits on the SQLite file (started with the rest). */
  dbWatch: DataVersionWatch;
  /** This replica in the cluster, when clustered. */
  cluster: ClusterMember | undefined;
}

/**
 * Builds the revocations and the watch of the SQLite file: another process's revocations, token deletions,
 * central services and policies (`tether-cp apply`) take effect here; joins the cluster when there is one.
 */
export async function followChanges(
  ctx: StartContext,
  base: Base,
  mqtt: BrokerParts,
  agentSide: AgentSide,
  { services, calls }: CallSide,
): Promise<ChangeFollowers> {
  const { clock, logger } = ctx;
  const { db, agents, table, audit, bus, metrics, tokens } = base;
  const { liveness } = agentSide;
  const { sync: sync } = agentSide.ingress;
  const tokenSockets = new TokenSockets({ roleOf: (id) => tokens.get(id)?.role, logger });
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
    forget: mqtt.forgetAgent,
    announce: (agentId) => announceAgent(sync, agentId),
  });
  const dbWatch = new DataVersionWatch({ db, clock, logger });
  dbWatch.onChange(() => revocations.enforceStored());
  dbWatch.onChange(() => tokenSockets.sweep());
  dbWatch.onChange(() => services.policyChanges.announce());
  dbWatch.onChange(() => {
    services.centralServices.reconcileStored().catch((err: unknown) => {
      logger.error({ err }, 'making the routes of central services another process changed failed');
    });
  });
  const { fabric, replicaId, transport } = mqtt;
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
          resync: (agentId) => void requestResync(sync, agentId, 'connected to another replica'),
          onApplied: localEffectsOf({ revocations, tokenSockets, conflicts: services.conflicts }),
        })
      : undefined;
  return { revocations, tokenSockets, dbWatch, cluster };
}
