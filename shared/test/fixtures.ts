import fc from 'fast-check';
import type { Route } from '@tether/shared';

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
