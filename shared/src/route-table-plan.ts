import { routeChanged, routeKey, type Route, type RouteEvent, type RouteKey } from './route.js';
import type { RouteFilter } from './route-table.js';

/** True when the route matches every field given in the filter. */
export function matchesFilter(route: Route, filter: RouteFilter = {}): boolean {
  return (
    (filter.service === undefined || route.service === filter.service) &&
    (filter.origin === undefined || route.origin === filter.origin) &&
    (filter.originKind === undefined || route.originKind === filter.originKind) &&
    (filter.state === undefined || route.state === filter.state) &&
    (filter.site === undefined || route.site === filter.site)
  );
}

/**
 * Plans an atomic batch: the events that upserting `upserts` and deleting `removes` causes, given a lookup of
 * the current rows. A RouteTable implementation applies exactly these events, so every table behaves alike.
 */
export function planApply(
  lookup: (key: RouteKey) => Route | undefined,
  upserts: readonly Route[],
  removes: readonly RouteKey[] = [],
): RouteEvent[] {
  const events: RouteEvent[] = [];
  const seen = new Map<RouteKey, Route | undefined>();
  const current = (key: RouteKey): Route | undefined => (seen.has(key) ? seen.get(key) : lookup(key));
  for (const route of upserts) {
    const key = routeKey(route);
    const previous = current(key);
    if (!previous) events.push({ type: 'created', route });
    else if (routeChanged(previous, route)) events.push({ type: 'updated', route, previous });
    seen.set(key, route);
  }
  for (const key of removes) {
    const previous = current(key);
    if (previous) events.push({ type: 'deleted', route: previous });
    seen.set(key, undefined);
  }
  return events;
}

/** Plans replacing all of one origin's routes with `routes` (a snapshot). */
export function planReplaceOrigin(
  existing: readonly Route[],
  routes: readonly Route[],
  lookup: (key: RouteKey) => Route | undefined,
): RouteEvent[] {
  const keep = new Set(routes.map(routeKey));
  const removes = existing.map(routeKey).filter((key) => !keep.has(key));
  return planApply(lookup, routes, removes);
}

/** Plans marking these routes stale since `at` (routes already stale are left alone). */
export function planMarkStale(routes: readonly Route[], at: number): RouteEvent[] {
  return routes
    .filter((r) => r.state === 'active')
    .map((previous) => ({
      type: 'updated',
      route: { ...previous, state: 'stale', staleSince: at },
      previous,
    }));
}

/** Plans deleting the stale routes among `routes` whose staleness began before `cutoff`. */
export function planDeleteStale(routes: readonly Route[], cutoff: number): RouteEvent[] {
  return routes
    .filter((r) => r.state === 'stale' && (r.staleSince ?? 0) < cutoff)
    .map((route) => ({ type: 'deleted', route }));
}

/** The row a table should hold after an event: the route, or undefined when deleted. */
export function eventResult(event: RouteEvent): Route | undefined {
  return event.type === 'deleted' ? undefined : event.route;
}
