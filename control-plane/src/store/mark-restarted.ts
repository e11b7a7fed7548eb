import type BetterSqlite3 from 'better-sqlite3';
import type { RouteTable } from '@tether/shared';
import type { AgentStore } from './agent-store.js';

/**
 * After a restart nobody is connected: every agent is offline and the edges' routes are served at once from the
 * last known state, marked stale (at `at`) until each agent resyncs. One transaction.
 */
export function markRestarted(
  db: BetterSqlite3.Database,
  agents: Pick<AgentStore, 'setAllOffline'>,
  table: Pick<RouteTable, 'markStale'>,
  at: number,
): void {
  db.transaction(() => {
    agents.setAllOffline();
    table.markStale({ originKind: 'edge' }, at);
  }).immediate();
}
