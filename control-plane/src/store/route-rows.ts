import type { Route, RouteFilter, RouteKey } from '@tether/shared';

/** A row of the `routes` table, as better-sqlite3 returns it. */
export interface RouteRow {
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
  ['site', 'site'],
] as const;

/** The route a row holds. */
export function toRoute(row: RouteRow): Route {
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

/** The upsert's parameters, in its column order: positional, which better-sqlite3 binds faster than named ones. */
export type UpsertParams = [
  key: string,
  service: string,
  address: string,
  origin: string,
  originKind: Route['originKind'],
  site: string,
  labels: string,
  metric: number,
  state: Route['state'],
  version: number,
  staleSince: number | null,
  source: string | null,
];

/** The upsert's parameters for a route under its key. */
export function toParams(key: RouteKey, route: Route): UpsertParams {
  return [
    key,
    route.service,
    route.address,
    route.origin,
    route.originKind,
    route.site,
    JSON.stringify(route.labels),
    route.metric,
    route.state,
    route.version,
    route.staleSince ?? null,
    route.source ?? null,
  ];
}

/** The WHERE clause (empty, or with a leading space) and its parameters matching a route filter. */
export function routeWhere(filter: RouteFilter): { sql: string; params: unknown[] } {
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
