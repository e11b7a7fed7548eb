import { routeKey, type Route, type RouteKey } from '../route.js';
import { admitInstances } from './service-ownership.js';
import { passesFilter, priorityOf, weightGroupOf, type ServicePolicy } from './service-policy.js';

/** Who makes a call: an edge agent (by id) or a client of the control plane itself. */
export interface Caller {
  kind: 'edge' | 'central';
  /** The agent id, or a name for a central client. */
  id: string;
  /** The caller's site, for local-first. */
  site?: string | undefined;
}

/** What `selectRoute` needs besides the routes and the policy. Everything is passed in: no timers, no I/O. */
export interface SelectionContext {
  caller: Caller;
  /** Route keys never to pick (e.g. the instance a retried call already failed on). */
  exclude: ReadonlySet<RouteKey>;
  /** False while the circuit breaker keeps the instance out. */
  isAvailable(key: RouteKey): boolean;
  /** Calls currently in flight to the instance. */
  inflight(key: RouteKey): number;
  /** Uniform in [0, 1): weighted choice and tie breaks. */
  random(): number;
}

/** Why no route could be picked, most specific first. */
export type NoRouteReason = 'unknown' | 'forbidden' | 'filtered' | 'offline' | 'unavailable';

/** True when the caller may use the route: central callers and central instances always; an edge its own, or others' if allowed. */
export function mayCall(policy: ServicePolicy, caller: Caller, route: Route): boolean {
  if (caller.kind === 'central' || route.originKind === 'central' || route.origin === caller.id) return true;
  return policy.allowEdgeCallers.includes('*') || policy.allowEdgeCallers.includes(caller.id);
}

function pickIndex(r: number, n: number): number {
  return Math.min(n - 1, Math.floor(r * n));
}

/** Picks from the routes those with the fewest calls in flight, then one of them at random. */
function fewestInflight(routes: readonly Route[], ctx: SelectionContext): Route | undefined {
  let best: Route[] = [];
  let min = Infinity;
  for (const r of routes) {
    const n = ctx.inflight(routeKey(r));
    if (n < min) {
      min = n;
      best = [r];
    } else if (n === min) best.push(r);
  }
  return best[pickIndex(ctx.random(), best.length)];
}

/** Weighted random choice between weight groups (zero-weight groups only when no positive one has a route). */
function pickWeightGroup(routes: readonly Route[], policy: ServicePolicy, ctx: SelectionContext): Route[] {
  const groups = new Map<number, Route[]>();
  for (const r of routes) {
    const g = weightGroupOf(policy, r);
    const list = groups.get(g);
    if (list) list.push(r);
    else groups.set(g, [r]);
  }
  const weighted = [...groups.entries()]
    .map(([g, list]) => ({ weight: g < 0 ? policy.defaultWeight : (policy.weights[g]?.weight ?? 0), list }))
    .filter((g) => g.weight > 0)
    .sort((a, b) => b.weight - a.weight);
  const total = weighted.reduce((sum, g) => sum + g.weight, 0);
  if (total === 0) return [...routes];
  let r = ctx.random() * total;
  for (const g of weighted) {
    if (r < g.weight) return g.list;
    r -= g.weight;
  }
  return weighted[weighted.length - 1]?.list ?? [...routes];
}

/**
 * The routes the caller may use at all: instances by name ownership (never a conflict), policy filter,
 * edge-caller visibility, active only.
 */
export function usableRoutes(candidates: readonly Route[], policy: ServicePolicy, caller: Caller): Route[] {
  return admitInstances(candidates, policy).instances.filter(
    (r) => r.state === 'active' && passesFilter(policy, r) && mayCall(policy, caller, r),
  );
}

/**
 * Picks the instance for one call (pure): name ownership (an edge route of a centrally defined service serves
 * only when `allowEdgeInstances` admits its agent) -> filter -> edge-caller visibility -> active -> lowest
 * priority tier with an available, non-excluded instance -> caller's site first (`localFirst`) -> weighted random
 * between weight groups -> fewest calls in flight (ties at random). Undefined when nothing is eligible;
 * `whyNoRoute` says why.
 */
export function selectRoute(
  candidates: readonly Route[],
  policy: ServicePolicy,
  ctx: SelectionContext,
): Route | undefined {
  const eligible = usableRoutes(candidates, policy, ctx.caller).filter((r) => {
    const key = routeKey(r);
    return !ctx.exclude.has(key) && ctx.isAvailable(key);
  });
  // One instance is the pick whatever the tiers, sites, weights and loads say (and allocates nothing more).
  if (eligible.length <= 1) return eligible[0];
  const top = Math.min(...eligible.map((r) => priorityOf(policy, r)));
  let tier = eligible.filter((r) => priorityOf(policy, r) === top);
  const site = ctx.caller.site;
  if (policy.localFirst && site !== undefined) {
    const local = tier.filter((r) => r.site === site);
    if (local.length > 0) tier = local;
  }
  return fewestInflight(pickWeightGroup(tier, policy, ctx), ctx);
}

/**
 * Why `selectRoute` found nothing: `unknown` (no candidates, or only conflicts), `forbidden` (the caller may use
 * none of them), `filtered` (the policy filter leaves none), `offline` (only stale ones), else `unavailable`
 * (ejected/excluded).
 */
export function whyNoRoute(
  candidates: readonly Route[],
  policy: ServicePolicy,
  caller: Caller,
): NoRouteReason {
  const instances = admitInstances(candidates, policy).instances;
  if (instances.length === 0) return 'unknown';
  const visible = instances.filter((r) => mayCall(policy, caller, r));
  if (visible.length === 0) return 'forbidden';
  const kept = visible.filter((r) => passesFilter(policy, r));
  if (kept.length === 0) return 'filtered';
  if (!kept.some((r) => r.state === 'active')) return 'offline';
  return 'unavailable';
}
