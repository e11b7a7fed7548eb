import BTreeModule from 'sorted-btree';
import {
  entriesAfter,
  matchesFilter,
  takePage,
  type KeysetPage,
  type Route,
  type RouteFilter,
  type RouteKey,
} from '@tether/shared';
import { ServiceTallies } from './service-tallies.js';

type Entry = readonly [RouteKey, Route];

type BTreeClass = typeof BTreeModule.default;
// sorted-btree is CommonJS with `exports.default`: Node gives module.exports as the default import, a bundler may
// give the class itself.
const BTree: BTreeClass = typeof BTreeModule === 'function' ? BTreeModule : BTreeModule.default;

const byKeyOrder = (a: Entry, b: Entry): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

function bucketOf(index: Map<string, Map<RouteKey, Route>>, name: string): Map<RouteKey, Route> {
  let bucket = index.get(name);
  if (!bucket) index.set(name, (bucket = new Map<RouteKey, Route>()));
  return bucket;
}

function leave(index: Map<string, Map<RouteKey, Route>>, name: string, key: RouteKey): void {
  const bucket = index.get(name);
  if (!bucket) return;
  bucket.delete(key);
  if (bucket.size === 0) index.delete(name);
}

/**
 * Every route in memory, indexed by origin, by service and by state, so the hot lookups of the connect and call
 * paths (one agent's routes, one service's routes, the stale ones, counts) cost what they return, never a scan
 * of the table. Lists are ordered by key (JS string order, like MemoryRouteTable); one service's ordered list is
 * kept until that service changes (the call path asks for it on every call). Every key is also in a B+ tree, so
 * the whole table is walked in key order from any key (the API's pages) without sorting it.
 */
export class RouteIndex {
  readonly #rows = new Map<RouteKey, Route>();
  readonly #byOrigin = new Map<string, Map<RouteKey, Route>>();
  readonly #byService = new Map<string, Map<RouteKey, Route>>();
  readonly #stale = new Map<RouteKey, Route>();
  readonly #sortedService = new Map<string, Entry[]>();
  /**
   * Every key in order, without its route (read from `#rows`): a route changed in place (stale and active again,
   * a storm's every agent) leaves the tree untouched, instead of a descent of it per route.
   */
  readonly #ordered = new BTree<RouteKey, undefined>();
  /** Each service's routes counted, in name order (the services listing). */
  readonly tallies = new ServiceTallies();

  /** How many routes are held. */
  get size(): number {
    return this.#rows.size;
  }

  /** The route with this key, if any. */
  get(key: RouteKey): Route | undefined {
    return this.#rows.get(key);
  }

  /** Puts a route under its key (replacing what was there). */
  set(key: RouteKey, route: Route): void {
    const old = this.#rows.get(key);
    if (old && old.origin === route.origin && old.service === route.service) {
      this.#replace(key, old, route);
      return;
    }
    this.delete(key);
    this.#rows.set(key, route);
    this.#ordered.set(key, undefined);
    bucketOf(this.#byOrigin, route.origin).set(key, route);
    bucketOf(this.#byService, route.service).set(key, route);
    if (route.state === 'stale') this.#stale.set(key, route);
    this.#sortedService.delete(route.service);
    this.tallies.add(route);
  }

  /**
   * A route changed in place (its state, version, address...), in the same origin and service: its value replaced
   * where it is held, without taking it out of the buckets and putting it back, and without touching the tree of
   * keys (a storm makes each agent's routes stale and active again).
   */
  #replace(key: RouteKey, old: Route, route: Route): void {
    this.#rows.set(key, route);
    this.#byOrigin.get(route.origin)?.set(key, route);
    this.#byService.get(route.service)?.set(key, route);
    if (route.state === 'stale') this.#stale.set(key, route);
    else this.#stale.delete(key);
    this.#sortedService.delete(route.service);
    this.tallies.remove(old);
    this.tallies.add(route);
  }

  /** Removes the route with this key, if any. */
  delete(key: RouteKey): void {
    const old = this.#rows.get(key);
    if (!old) return;
    this.#rows.delete(key);
    this.#ordered.delete(key);
    leave(this.#byOrigin, old.origin, key);
    leave(this.#byService, old.service, key);
    this.#stale.delete(key);
    this.#sortedService.delete(old.service);
    this.tallies.remove(old);
  }

  /** Forgets everything. */
  clear(): void {
    this.#rows.clear();
    this.#ordered.clear();
    this.#byOrigin.clear();
    this.#byService.clear();
    this.#stale.clear();
    this.#sortedService.clear();
    this.tallies.clear();
  }

  /** Routes matching the filter, ordered by key. */
  list(filter: RouteFilter = {}): Route[] {
    const { service, ...rest } = filter;
    if (service !== undefined && Object.values(rest).every((v) => v === undefined))
      return this.#serviceEntries(service).map(([, r]) => r);
    return this.#sorted(this.#smallest(filter), filter).map(([, r]) => r);
  }

  /** The routes matching the filter with their keys, ordered by key (a copy). */
  entries(filter: RouteFilter = {}): Entry[] {
    return this.#sorted(this.#smallest(filter), filter);
  }

  /**
   * One page of the routes matching the filter, in key order, after the key `after` (from the first when it is
   * undefined): at most `limit` routes, and the key to go on after (null at the end). It costs the page, plus
   * the filtered-out rows it walks past (at most `budget`), never a sort of the table.
   */
  page(filter: RouteFilter, after: RouteKey | undefined, limit: number, budget?: number): KeysetPage<Route> {
    return takePage(this.#entriesAfter(filter, after), (r) => matchesFilter(r, filter), limit, budget);
  }

  /** The entries after `after` in key order, from the smallest index that holds every match. */
  #entriesAfter(filter: RouteFilter, after: RouteKey | undefined): Iterable<Entry> {
    if (filter.origin !== undefined)
      return entriesAfter(this.#sorted(this.#byOrigin.get(filter.origin)), after);
    if (filter.service !== undefined) return entriesAfter(this.#serviceEntries(filter.service), after);
    return this.#treeAfter(after);
  }

  *#treeAfter(after: RouteKey | undefined): Generator<Entry> {
    for (const key of this.#ordered.keys(after)) if (key !== after) yield [key, this.#rows.get(key)!];
  }

  /** One service's entries in key order (kept until the service changes). */
  #serviceEntries(service: string): Entry[] {
    let sorted = this.#sortedService.get(service);
    if (!sorted) {
      sorted = this.#sorted(this.#byService.get(service));
      this.#sortedService.set(service, sorted);
    }
    return sorted;
  }

  /** The distinct service names of the routes held. */
  serviceNames(): IterableIterator<string> {
    return this.#byService.keys();
  }

  /**
   * The stale routes stale since before `cutoff`, ordered by key: it walks the stale routes once and sorts only
   * those due (a restarted hub holds the whole fleet's routes stale until agents are back; the sweeper asks every
   * few seconds).
   */
  staleBefore(cutoff: number): Route[] {
    const due: Entry[] = [];
    for (const entry of this.#stale) if ((entry[1].staleSince ?? 0) < cutoff) due.push(entry);
    return due.sort(byKeyOrder).map(([, r]) => r);
  }

  /** The distinct origins of the stale routes (what it costs is the stale routes, never the table). */
  staleOrigins(): Set<string> {
    const origins = new Set<string>();
    for (const route of this.#stale.values()) origins.add(route.origin);
    return origins;
  }

  /** How many routes match the filter (without listing them when one index answers). */
  count(filter: RouteFilter = {}): number {
    const given = Object.entries(filter).filter(([, v]) => v !== undefined);
    if (given.length === 0) return this.#rows.size;
    if (given.length === 1) {
      if (filter.origin !== undefined) return this.#byOrigin.get(filter.origin)?.size ?? 0;
      if (filter.service !== undefined) return this.#byService.get(filter.service)?.size ?? 0;
      if (filter.state === 'stale') return this.#stale.size;
      if (filter.state === 'active') return this.#rows.size - this.#stale.size;
    }
    let n = 0;
    for (const route of (this.#smallest(filter) ?? new Map<RouteKey, Route>()).values())
      if (matchesFilter(route, filter)) n++;
    return n;
  }

  /** The smallest index bucket that holds every route the filter can match. */
  #smallest(filter: RouteFilter): Map<RouteKey, Route> | undefined {
    if (filter.origin !== undefined) return this.#byOrigin.get(filter.origin);
    if (filter.service !== undefined) return this.#byService.get(filter.service);
    if (filter.state === 'stale') return this.#stale;
    return this.#rows;
  }

  #sorted(bucket: Map<RouteKey, Route> | undefined, filter?: RouteFilter): Entry[] {
    if (!bucket) return [];
    const keep = ([, r]: Entry): boolean => filter === undefined || matchesFilter(r, filter);
    // The whole table is in key order already (the tree): no sort of every row.
    if (bucket === this.#rows) return [...this.#treeAfter(undefined)].filter(keep);
    return [...bucket].filter(keep).sort(byKeyOrder);
  }
}
