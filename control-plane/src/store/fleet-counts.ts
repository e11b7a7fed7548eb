import type BetterSqlite3 from 'better-sqlite3';
import { CENTRAL } from '@tether/shared';
import type { SqliteRouteTable } from './sqlite-route-table.js';

/** Agents by liveness, routes by state, and distinct service names: the overview's figures. */
export interface FleetCounts {
  /** `stale`: offline agents whose routes are still kept (stale, within the grace); `offline`: the others. */
  agents: { online: number; offline: number; stale: number };
  routes: { active: number; stale: number };
  /** Distinct service names over every route and central service. */
  services: number;
}

/** What the fleet counts are read from. */
export interface FleetCountsDeps {
  db: BetterSqlite3.Database;
  table: Pick<SqliteRouteTable, 'count' | 'serviceNames' | 'staleOrigins'>;
  /** True while the agent holds a live connection (an online agent's routes are not counted stale for it). */
  isConnected: (agentId: string) => boolean;
}

/**
 * Reads the fleet counts: agents by status with one aggregate over the agents table (no per-agent subquery), the
 * routes and their services from the in-memory route index, and the offline agents with stale routes from the
 * stale routes' origins. Nothing scans or sorts the routes table, which a 200,000-route fleet would pay every
 * tick of the stats (the event loop stalls the API's p99 would show).
 */
export function createFleetCounts({ db, table, isConnected }: FleetCountsDeps): () => FleetCounts {
  const agents = db.prepare<[], { online: number | null; offline: number | null }>(
    `SELECT sum(status = 'online') AS online, sum(status = 'offline') AS offline FROM agents`,
  );
  const centralNames = db.prepare<[], string>('SELECT name FROM services').pluck();
  return () => {
    const a = agents.get();
    let stale = 0;
    for (const origin of table.staleOrigins()) if (origin !== CENTRAL && !isConnected(origin)) stale++;
    const services = new Set(table.serviceNames());
    for (const name of centralNames.iterate()) services.add(name);
    return {
      agents: { online: a?.online ?? 0, offline: Math.max(0, (a?.offline ?? 0) - stale), stale },
      routes: { active: table.count({ state: 'active' }), stale: table.count({ state: 'stale' }) },
      services: services.size,
    };
  };
}
