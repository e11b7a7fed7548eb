import type BetterSqlite3 from 'better-sqlite3';
import { ReadCache } from '../db/read-cache.js';
import {
  eventResult,
  planApply,
  planDeleteStale,
  planMarkStale,
  planReplaceOrigin,
  routeKey,
  type Route,
  type RouteEvent,
  type RouteFilter,
  type RouteKey,
  type RouteTable,
} from '@tether/shared';

interface RouteRow {
  key: string;
  service: string;
  address: string;
  origin: string;
  origin_kind: Route['originKind'];
  site: string;
  labels: string;
  metric: number;
  state: Route['state'];
  version: number;
  stale_since: number | null;
  source: string | null;
}

const FILTER_COLUMNS = [
  ['service', 'service'],
  ['origin', 'origin'],
  ['originKind', 'origin_kind'],
  ['state', 'state'],
] as const;

function toRoute(row: RouteRow): Route {
  const route: Route = {
    service: row.service,
    address: row.address,
    origin: row.origin,
    originKind: row.origin_kind,
    site: row.site,
    labels: JSON.parse(row.labels) as Route['labels'],
    metric: row.metric,
    state: row.state,
    version: row.version,
  };
  if (row.stale_since !== null) route.staleSince = row.stale_since;
  if (row.source !== null) route.source = row.source as NonNullable<Route['source']>;
  return route;
}

function toParams(route: Route): RouteRow {
  return {
    key: routeKey(route),
    service: route.service,
    address: route.address,
    origin: route.origin,
    origin_kind: route.originKind,
    site: route.site,
    labels: JSON.stringify(route.labels),
    metric: route.metric,
    state: route.state,
    version: route.version,
    stale_since: route.staleSince ?? null,
    source: route.source ?? null,
  };
}

/**
 * The control plane's RouteTable in SQLite. Every mutation plans its events with the shared planners (so it
 * behaves exactly like MemoryRouteTable) and writes them in one transaction; a caller may nest it in a larger
 * transaction (better-sqlite3 turns the inner one into a savepoint).
 */
export class SqliteRouteTable implements RouteTable {
  readonly #db: BetterSqlite3.Database;
  readonly #get: BetterSqlite3.Statement<[string], RouteRow>;
  readonly #upsert: BetterSqlite3.Statement<RouteRow>;
  readonly #delete: BetterSqlite3.Statement<[string]>;
  readonly #selects = new Map<string, BetterSqlite3.Statement<unknown[], RouteRow>>();
  readonly #counts = new Map<string, BetterSqlite3.Statement<unknown[], { n: number }>>();
  /** Routes by service, for the call path's per-call lookup; emptied by any write to the database. */
  readonly #byService: ReadCache<string, Route[]>;

  /** `db` must be open with the migrations applied (see `openDatabase`). */
  constructor(db: BetterSqlite3.Database) {
    this.#db = db;
    this.#get = db.prepare<[string], RouteRow>('SELECT * FROM routes WHERE key = ?');
    this.#upsert = db.prepare<RouteRow>(
      `INSERT INTO routes (key, service, address, origin, origin_kind, site, labels, metric, state, version, stale_since, source)
       VALUES (@key, @service, @address, @origin, @origin_kind, @site, @labels, @metric, @state, @version, @stale_since, @source)
       ON CONFLICT (key) DO UPDATE SET service = excluded.service, address = excluded.address,
         origin = excluded.origin, origin_kind = excluded.origin_kind, site = excluded.site, labels = excluded.labels,
         metric = excluded.metric, state = excluded.state, version = excluded.version, stale_since = excluded.stale_since,
         source = excluded.source`,
    );
    this.#delete = db.prepare<[string]>('DELETE FROM routes WHERE key = ?');
    this.#byService = new ReadCache(db, 1_000);
  }

  get(key: RouteKey): Route | undefined {
    const row = this.#get.get(key);
    return row ? toRoute(row) : undefined;
  }

  list(filter: RouteFilter = {}): Route[] {
    const keys = Object.keys(filter);
    if (keys.length === 1 && filter.service !== undefined) return this.#listService(filter.service);
    return this.#select(filter);
  }

  /** One service's routes, from the cache while nobody wrote. */
  #listService(service: string): Route[] {
    return [...this.#byService.get(service, () => this.#select({ service }))];
  }

  #select(filter: RouteFilter): Route[] {
    const { sql, params } = this.#where(filter);
    let stmt = this.#selects.get(sql);
    if (!stmt) {
      stmt = this.#db.prepare<unknown[], RouteRow>(`SELECT * FROM routes${sql}`);
      this.#selects.set(sql, stmt);
    }
    // Sorted in JS, not by SQLite: SQLite compares UTF-8 bytes, JS (and MemoryRouteTable) UTF-16 code units.
    const rows = stmt.all(...params);
    rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return rows.map(toRoute);
  }

  count(filter: RouteFilter = {}): number {
    const { sql, params } = this.#where(filter);
    let stmt = this.#counts.get(sql);
    if (!stmt) {
      stmt = this.#db.prepare<unknown[], { n: number }>(`SELECT count(*) AS n FROM routes${sql}`);
      this.#counts.set(sql, stmt);
    }
    return stmt.get(...params)?.n ?? 0;
  }

  apply(upserts: readonly Route[], removes: readonly RouteKey[] = []): RouteEvent[] {
    return this.#transaction(() =>
      this.#commit(
        planApply((k) => this.get(k), upserts, removes),
        upserts,
      ),
    );
  }

  replaceOrigin(origin: string, routes: readonly Route[]): RouteEvent[] {
    return this.#transaction(() =>
      this.#commit(
        planReplaceOrigin(this.list({ origin }), routes, (k) => this.get(k)),
        routes,
      ),
    );
  }

  markStale(filter: RouteFilter, at: number): RouteEvent[] {
    return this.#transaction(() =>
      this.#commit(planMarkStale(this.list({ ...filter, state: 'active' }), at)),
    );
  }

  deleteStaleBefore(cutoff: number): RouteEvent[] {
    return this.#transaction(() => this.#commit(planDeleteStale(this.list({ state: 'stale' }), cutoff)));
  }

  #transaction(fn: () => RouteEvent[]): RouteEvent[] {
    return this.#db.transaction(fn).immediate();
  }

  /** Writes the planned events, plus unchanged upserts (their version may have moved), like MemoryRouteTable. */
  #commit(events: RouteEvent[], upserts: readonly Route[] = []): RouteEvent[] {
    this.#byService.invalidate();
    for (const route of upserts) this.#upsert.run(toParams(route));
    for (const event of events) {
      const row = eventResult(event);
      if (row) this.#upsert.run(toParams(row));
      else this.#delete.run(routeKey(event.route));
    }
    return events;
  }

  #where(filter: RouteFilter): { sql: string; params: unknown[] } {
    const clauses: string[] = [];
    const params: unknown[] = [];
    for (const [field, column] of FILTER_COLUMNS) {
      const value = filter[field];
      if (value === undefined) continue;
      clauses.push(`${column} = ?`);
      params.push(value);
    }
    return { sql: clauses.length ? ` WHERE ${clauses.join(' AND ')}` : '', params };
  }
}
