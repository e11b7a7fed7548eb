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

  get(key: RouteKey): Route | undefined {
    return this.#rows.get(key);
  }

  /** The matching routes in key order: filtered first, so only the matches are sorted (the agent asks per call). */
  list(filter?: RouteFilter): Route[] {
    const keys: RouteKey[] = [];
    for (const [key, route] of this.#rows) if (matchesFilter(route, filter)) keys.push(key);
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
    for (const route of upserts) this.#rows.set(routeKey(route), route);
    for (const event of events) {
      const key = routeKey(event.route);
      const row = eventResult(event);
      if (row) this.#rows.set(key, row);
      else this.#rows.delete(key);
    }
    return events;
  }
}
