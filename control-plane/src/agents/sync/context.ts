import type BetterSqlite3 from 'better-sqlite3';
import type { Clock, Transport } from '@tether/shared';
import type { AgentTelemetry } from '../agent-telemetry.js';
import type { AuditLog } from '../../audit/audit-log.js';
import type { GroupCommit } from '../../db/group-commit.js';
import type { Distribution } from './distribution.js';
import type { SnapshotParts } from './snapshot-parts.js';
import type { EventBus } from '../../observability/event-bus.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import type { AgentStore } from '../../store/agent-store.js';
import type { SqliteRouteTable } from '../../store/sqlite-route-table.js';

/** Everything a message handler may touch. */
export interface SyncContext {
  db: BetterSqlite3.Database;
  /**
   * Where every write of route sync is queued: many agents' writes share one transaction (one fsync), in arrival
   * order; events and answers follow the commit.
   */
  commits: GroupCommit;
  table: SqliteRouteTable;
  agents: AgentStore;
  /** What agents report beyond routes (outbox figures). */
  telemetry: AgentTelemetry;
  transport: Transport;
  distribution: Distribution;
  /** Snapshots arriving in parts, until their last part. */
  snapshotParts: SnapshotParts;
  bus: EventBus;
  /** Where a refused advert is audited, once per agent. */
  audit: Pick<AuditLog, 'recordOnce'>;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
  /** True while the agent holds a live broker connection. */
  isConnected(agentId: string): boolean;
  /** Cluster only: true while the agent's socket is on this replica (which alone answers its requests). */
  isLocal?(agentId: string): boolean;
  /** This control plane's version: statuses of agents it does not accept are refused (agentVersionRefusal). */
  hubVersion: string;
  /** Closes an agent's connection (a refused version); false when it held none here. */
  disconnect?(agentId: string): boolean;
}
