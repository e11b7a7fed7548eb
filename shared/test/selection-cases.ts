import {
  routeKey,
  selectRoute,
  ServicePolicySchema,
  type Caller,
  type Route,
  type SelectionContext,
  type ServicePolicyInput,
} from '@tether/shared';
import { route } from './fixtures.js';

/** Site a, prod. */
export const a1 = route({ origin: 'a1', address: 'http://a1', site: 'a', labels: { env: 'prod' } });
/** Site a, prod. */
export const a2 = route({ origin: 'a2', address: 'http://a2', site: 'a', labels: { env: 'prod' } });
/** Site b, prod. */
export const b1 = route({ origin: 'b1', address: 'http://b1', site: 'b', labels: { env: 'prod' } });
/** Site b, dev. */
export const b2 = route({ origin: 'b2', address: 'http://b2', site: 'b', labels: { env: 'dev' } });
/** A central instance. */
export const c1 = route({ origin: 'central', originKind: 'central', address: 'http://c1', site: 'hub' });
/** Site a, stale. */
export const staleA = route({ origin: 's1', address: 'http://s1', site: 'a', state: 'stale', staleSince: 1 });

/** A central caller at the hub. */
export const central: Caller = { kind: 'central', id: 'central:test', site: 'hub' };
/** A central caller at `site`. */
export const at = (site: string): Caller => ({ kind: 'central', id: 'central:test', site });
/** An edge caller. */
export const edge = (id: string, site?: string): Caller => ({ kind: 'edge', id, site });

/** One selection: the candidates, policy and context, and the route it must pick. */
export interface Case {
  name: string;
  candidates: Route[];
  policy?: ServicePolicyInput;
  caller?: Caller;
  exclude?: Route[];
  unavailable?: Route[];
  inflight?: [Route, number][];
  /** The sequence `random()` returns (cycled). */
  random?: number[];
  want: Route | undefined;
}

function ctxOf(c: Case): SelectionContext {
  const rnd = c.random ?? [0];
  let i = 0;
  const inflight = new Map((c.inflight ?? []).map(([r, n]) => [routeKey(r), n]));
  const unavailable = new Set((c.unavailable ?? []).map(routeKey));
  return {
    caller: c.caller ?? central,
    exclude: new Set((c.exclude ?? []).map(routeKey)),
    isAvailable: (k) => !unavailable.has(k),
    inflight: (k) => inflight.get(k) ?? 0,
    random: () => rnd[i++ % rnd.length] ?? 0,
  };
}

/** The route `selectRoute` picks for the case. */
export function selected(c: Case): Route | undefined {
  return selectRoute(c.candidates, ServicePolicySchema.parse(c.policy ?? {}), ctxOf(c));
}
