import { z } from 'zod';
import { routeKey, type Route } from './route.js';

/** How an agent advertises routes to the hub: `none`, `local` (default), `best` or `all`. */
export const AdvertiseStrategySchema = z.enum(['none', 'local', 'best', 'all']);
/** An advertise strategy. */
export type AdvertiseStrategy = z.infer<typeof AdvertiseStrategySchema>;

/**
 * The routes a node's strategy picks from everything it knows (active routes only):
 * `none` nothing; `local` only its own; `best` the lowest-metric route per service, its own winning ties;
 * `all` every route. Apply `advertisement` to also drop what the receiver taught us (split horizon).
 */
export function selectAdvertised(
  routes: readonly Route[],
  strategy: AdvertiseStrategy,
  self: string,
): Route[] {
  const active = routes.filter((r) => r.state === 'active');
  switch (strategy) {
    case 'none':
      return [];
    case 'local':
      return active.filter((r) => r.origin === self);
    case 'all':
      return active;
    case 'best':
      return bestPerService(active, self);
  }
}

/** Split horizon: drops the routes this node learned from the hub, so they are never sent back to it. */
export function splitHorizon(routes: readonly Route[], self: string): Route[] {
  return routes.filter((r) => r.origin === self);
}

/** What an agent sends the hub: its strategy's selection, less what it learned from the hub. */
export function advertisement(routes: readonly Route[], strategy: AdvertiseStrategy, self: string): Route[] {
  return splitHorizon(selectAdvertised(routes, strategy, self), self);
}

function bestPerService(routes: readonly Route[], self: string): Route[] {
  const best = new Map<string, Route>();
  for (const r of routes) {
    const current = best.get(r.service);
    if (!current || better(r, current, self)) best.set(r.service, r);
  }
  return [...best.values()];
}

function better(a: Route, b: Route, self: string): boolean {
  if (a.metric !== b.metric) return a.metric < b.metric;
  const aOwn = a.origin === self;
  if (aOwn !== (b.origin === self)) return aOwn;
  return routeKey(a) < routeKey(b);
}
