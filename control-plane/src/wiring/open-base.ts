import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { ensurePrivateDir } from '@tether/shared';
import { AuditLog } from '../audit/audit-log.js';
import { TokenStore } from '../auth/token-store.js';
import { CallStats } from '../calls/call-stats.js';
import { CommitWatch } from '../db/commit-watch.js';
import { GroupCommit } from '../db/group-commit.js';
import { openDatabase } from '../db/open-database.js';
import { EventBus } from '../observability/event-bus.js';
import { EventLog } from '../observability/event-log.js';
import { Metrics } from '../observability/metrics.js';
import { AgentStore } from '../store/agent-store.js';
import { markRestarted } from '../store/mark-restarted.js';
import { ServiceStore } from '../store/service-store.js';
import { SqliteRouteTable } from '../store/sqlite-route-table.js';
import type { StartContext } from './start-context.js';

/** The base every other part stands on: the SQLite file and its stores, the audit log, metrics and events. */
export interface Base {
  db: BetterSqlite3.Database;
  table: SqliteRouteTable;
  agents: AgentStore;
  services: ServiceStore;
  tokens: TokenStore;
  audit: AuditLog;
  bus: EventBus;
  events: EventLog;
  metrics: Metrics;
  callStats: CallStats;
  /** Route sync's and liveness's group commit. */
  commits: GroupCommit;
}

/**
 * Opens the data dir's SQLite file and the stores over it, the metrics and the event log; the routes and agents
 * a previous run left are marked as of a restart.
 */
export function openBase({ options, clock, logger }: StartContext): Base {
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
  table.load();
  return { db, table, agents, services, tokens, audit, bus, events, metrics, callStats, commits };
}
