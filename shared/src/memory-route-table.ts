import { routeKey, type Route, type RouteEvent, type RouteKey } from './route.js';
import type { RouteFilter, RouteTable } from './route-table.js';
import {
  eventResult,
  matchesFilter,
  planApply,
  planDeleteStale,
  planMarkStale,
  planReplaceOrigin,
} from './route-table-plan.js';

/** A RouteTable held in a Map: the agent's table, and the reference for the contract tests. */
export class MemoryRouteTable implements RouteTable {
  readonly #rows = new Map<RouteKey, Route>();
  /** The keys of each service's routes: a lookup by service (the agent's, per call) reads only those. */
  readonly #byService = new Map<string, Set<RouteKey>>();

  get(key: RouteKey): Route | undefined {
    return this.#rows.get(key);
  }

  /** The matching routes in key order: filtered first, so only the matches are sorted (the agent asks per call). */
  list(filter?: RouteFilter): Route[] {
    const keys: RouteKey[] = [];
    const candidates =
      filter?.service === undefined ? this.#rows.keys() : (this.#byService.get(filter.service) ?? []);
    for (const key of candidates) if (matchesFilter(this.#rows.get(key)!, filter)) keys.push(key);
    return keys.sort().map((k) => this.#rows.get(k)!);
  }

  count(filter?: RouteFilter): number {
    let n = 0;
    for (const r of this.#rows.values()) if (matchesFilter(r, filter)) n++;
    return n;
  }

  apply(upserts: readonly Route[], removes: readonly RouteKey[] = []): RouteEvent[] {
    return this.#commit(
      planApply((k) => this.get(k), upserts, removes),
      upserts,
    );
  }

  replaceOrigin(origin: string, routes: readonly Route[]): RouteEvent[] {
    return this.#commit(
      planReplaceOrigin(this.list({ origin }), routes, (k) => this.get(k)),
      routes,
    );
  }

  markStale(filter: RouteFilter, at: number): RouteEvent[] {
    return this.#commit(planMarkStale(this.list({ ...filter, state: 'active' }), at));
  }

  deleteStaleBefore(cutoff: number): RouteEvent[] {
    return this.#commit(planDeleteStale(this.list({ state: 'stale' }), cutoff));
  }

  /** Writes the planned events, plus unchanged upserts (their version may have moved). */
  #commit(events: RouteEvent[], upserts: readonly Route[] = []): RouteEvent[] {
    for (const route of upserts) this.#put(routeKey(route), route);
    for (const event of events) {
      const key = routeKey(event.route);
      const row = eventResult(event);
      if (row) this.#put(key, row);
      else this.#remove(key);
    }
    return events;
  }

  #put(key: RouteKey, route: Route): void {
    const old = this.#rows.get(key);
    if (old && old.service !== route.service) this.#remove(key);
    this.#rows.set(key, route);
    let keys = this.#byService.get(route.service);
    if (!keys) this.#byService.set(route.service, (keys = new Set()));
    keys.add(key);
  }

  #remove(key: RouteKey): void {
    const old = this.#rows.get(key);
    if (!old) return;
    this.#rows.delete(key);
    const keys = this.#byService.get(old.service);
    keys?.delete(key);
    if (keys?.size === 0) this.#byService.delete(old.service);
  }
}
