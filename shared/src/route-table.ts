import type { Route, RouteEvent, RouteKey, RouteState, OriginKind } from './route.js';

/** Which routes a query selects; every given field must match. */
export interface RouteFilter {
  service?: string;
  origin?: string;
  originKind?: OriginKind;
  state?: RouteState;
  /** The site the route was advertised from. */
  site?: string;
}

/**
 * A set of routes keyed by `routeKey`. Every mutation is atomic and returns the events it caused
 * (an upsert that changes nothing returns none). Implemented in memory (shared) and in SQLite (control plane).
 */
export interface RouteTable {
  /** The route with this key, if any. */
  get(key: RouteKey): Route | undefined;
  /** Routes matching the filter, ordered by key. */
  list(filter?: RouteFilter): Route[];
  /** How many routes match the filter. */
  count(filter?: RouteFilter): number;
  /** Inserts or updates routes and deletes keys, all or nothing. */
  apply(upserts: readonly Route[], removes?: readonly RouteKey[]): RouteEvent[];
  /** Makes `routes` the whole set of routes of `origin`: upserts them and deletes the origin's others. */
  replaceOrigin(origin: string, routes: readonly Route[]): RouteEvent[];
  /** Marks the active routes matching the filter stale since `at`. */
  markStale(filter: RouteFilter, at: number): RouteEvent[];
  /** Deletes stale routes that have been stale since before `cutoff`. */
  deleteStaleBefore(cutoff: number): RouteEvent[];
}
