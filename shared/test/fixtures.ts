import fc from 'fast-check';
import { routeKey, type Route } from '@tether/shared';

/** A valid route with sensible defaults; override any field. */
export function route(overrides: Partial<Route> = {}): Route {
  return {
    service: 'svc',
    address: 'http://10.0.0.1:8080',
    origin: 'edge-1',
    originKind: 'local',
    site: 'site-a',
    labels: {},
    metric: 10,
    state: 'active',
    version: 1,
    ...overrides,
  };
}

/** What generated route sets are made of: an origin (`central` or an edge), a port, stale or not, any overrides. */
export interface RouteSpec extends Partial<Route> {
  origin: string;
  port: number;
  stale: boolean;
}

/** The route of a spec: central routes are the hub's (`originKind: central`), the others an edge's. */
export function specRoute({ origin, port, stale, ...rest }: RouteSpec): Route {
  return route({
    ...rest,
    origin,
    originKind: origin === 'central' ? 'central' : 'edge',
    address: `http://${origin}:${port}`,
    state: stale ? 'stale' : 'active',
  });
}

/** The routes with one per key (the last wins), as a route table would hold them. */
export function distinctRoutes(routes: readonly Route[]): Route[] {
  return [...new Map(routes.map((r) => [routeKey(r), r])).values()];
}

/** Valid agent ids (never the reserved "central"). */
export const agentIdArb = fc
  .stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,8}$/)
  .filter((id) => id !== 'central');

/** Short service names drawn from a small pool so that services collide across routes. */
export const serviceArb = fc.constantFrom('api', 'db', 'cache', 'auth', 'web.v2');

/** Label sets of up to 3 pairs over a small alphabet. */
export const labelsArb = fc.dictionary(
  fc.constantFrom('env', 'zone', 'tier'),
  fc.constantFrom('prod', 'dev', 'eu', 'us'),
  {
    maxKeys: 3,
  },
);
