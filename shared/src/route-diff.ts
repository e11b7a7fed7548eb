import { routeChanged, routeKey, type Route, type RouteKey } from './route.js';

/** The delta that turns one advertised set into another. */
export interface RouteDelta {
  upserts: Route[];
  removes: RouteKey[];
}

/** Computes the delta from `before` to `after`: routes added or changed, and keys gone. */
export function diffRoutes(
  before: ReadonlyMap<RouteKey, Route>,
  after: ReadonlyMap<RouteKey, Route>,
): RouteDelta {
  const upserts: Route[] = [];
  const removes: RouteKey[] = [];
  for (const [key, route] of after) {
    const old = before.get(key);
    if (!old || routeChanged(old, route)) upserts.push(route);
  }
  for (const key of before.keys()) if (!after.has(key)) removes.push(key);
  return { upserts, removes };
}

/** Indexes routes by their key. */
export function byKey(routes: Iterable<Route>): Map<RouteKey, Route> {
  const map = new Map<RouteKey, Route>();
  for (const r of routes) map.set(routeKey(r), r);
  return map;
}

/** True when a delta carries no change. */
export function isEmptyDelta(delta: RouteDelta): boolean {
  return delta.upserts.length === 0 && delta.removes.length === 0;
}
