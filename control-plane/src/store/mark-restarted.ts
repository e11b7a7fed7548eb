import type BetterSqlite3 from 'better-sqlite3';
import type { AgentStore } from './agent-store.js';
import type { SqliteRouteTable } from './sqlite-route-table.js';

/**
 * After a restart nobody is connected: every agent is offline and the edges' routes are served at once from the
 * last known state, marked stale (at `at`) until each agent resumes or resyncs. Sync positions stay, so an agent
 * back unchanged resumes without a snapshot (protocol 3). One transaction, one statement for the routes.
 */
export function markRestarted(
  db: BetterSqlite3.Database,
  agents: Pick<AgentStore, 'setAllOffline'>,
  table: Pick<SqliteRouteTable, 'markStaleInBulk'>,
  at: number,
): void {
  db.transaction(() => {
    agents.setAllOffline();
    table.markStaleInBulk({ originKind: 'edge' }, at);
  }).immediate();
}
