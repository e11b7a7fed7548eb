import type BetterSqlite3 from 'better-sqlite3';

/** Agents by liveness, routes by state, and distinct service names: the overview's figures. */
export interface FleetCounts {
  /** `stale`: offline agents whose routes are still kept (stale, within the grace); `offline`: the others. */
  agents: { online: number; offline: number; stale: number };
  routes: { active: number; stale: number };
  /** Distinct service names over every route and central service. */
  services: number;
}

/** Reads the fleet counts with three aggregate queries (no row is loaded). */
export function createFleetCounts(db: BetterSqlite3.Database): () => FleetCounts {
  const agents = db.prepare<[], { online: number | null; offline: number | null; stale: number | null }>(
    `SELECT sum(status = 'online') AS online, sum(status = 'offline') AS offline,
       sum(status = 'offline' AND EXISTS
         (SELECT 1 FROM routes r WHERE r.origin = agents.id AND r.state = 'stale')) AS stale
     FROM agents`,
  );
  const routes = db.prepare<[], { active: number | null; stale: number | null }>(
    `SELECT sum(state = 'active') AS active, sum(state = 'stale') AS stale FROM routes`,
  );
  const services = db.prepare<[], { n: number }>(
    'SELECT count(*) AS n FROM (SELECT service FROM routes UNION SELECT name FROM services)',
  );
  return () => {
    const a = agents.get();
    const r = routes.get();
    const stale = a?.stale ?? 0;
    return {
      agents: { online: a?.online ?? 0, offline: (a?.offline ?? 0) - stale, stale },
      routes: { active: r?.active ?? 0, stale: r?.stale ?? 0 },
      services: services.get()?.n ?? 0,
    };
  };
}
