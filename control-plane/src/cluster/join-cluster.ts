import { randomBytes } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import type { Clock, Transport } from '@tether/shared';
import type { Liveness } from '../agents/liveness.js';
import type { Logger } from '../observability/logger.js';
import type { RedisFabric } from './redis-fabric.js';
import { ChangeLog, type Change } from './change-log.js';
import { ClusterPresence } from './presence.js';
import type { UniqueClaims } from '../agents/registration/unique-claims.js';
import { RedisClaims } from './redis-claims.js';

/** A fresh replica id: `replica-` and 8 random hex digits. */
export function newReplicaId(): string {
  return `replica-${randomBytes(4).toString('hex')}`;
}

/** What joining the cluster needs. */
export interface JoinClusterDeps {
  fabric: RedisFabric;
  replicaId: string;
  db: BetterSqlite3.Database;
  transport: Transport;
  liveness: Liveness;
  clock: Clock;
  logger: Logger;
  /** An agent came online on another replica after being offline here: ask it for its routes again. */
  resync(agentId: string): void;
  /** A replicated change was applied (caches, revocation). */
  onApplied(change: Change): void;
}

/** A running cluster membership. */
export interface ClusterMember {
  replicaId: string;
  claims: UniqueClaims;
  notReadyReason(): string | undefined;
  close(): Promise<void>;
}

/** Joins the cluster: presence and heartbeats on the fabric, the replicated change log, claims in Redis. */
export async function joinCluster(deps: JoinClusterDeps): Promise<ClusterMember> {
  const { fabric, liveness, logger } = deps;
  const presence = new ClusterPresence({
    transport: deps.transport,
    replicaId: deps.replicaId,
    clock: deps.clock,
    logger,
    onOnline: (agentId) => {
      if (liveness.remoteOnline(agentId)) deps.resync(agentId);
    },
    onOffline: (agentId) => liveness.remoteOffline([agentId]),
    onLost: (agentIds) => liveness.remoteOffline(agentIds),
  });
  liveness.joinCluster(presence);
  await presence.start();
  const changes = new ChangeLog({
    db: deps.db,
    commands: fabric.commands,
    blocking: fabric.blocking,
    clock: deps.clock,
    logger,
    onApplied: (change) => deps.onApplied(change),
  });
  changes.start();
  logger.info({ replica: deps.replicaId }, 'joined the cluster');
  return {
    replicaId: deps.replicaId,
    claims: new RedisClaims(fabric.commands),
    notReadyReason: () => fabric.notReadyReason(),
    close: async () => {
      presence.stop();
      await changes.stop();
    },
  };
}
