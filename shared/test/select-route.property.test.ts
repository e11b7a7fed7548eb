import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  allowsEdgeInstance,
  mayCall,
  passesFilter,
  routeKey,
  selectRoute,
  ServicePolicySchema,
  type Caller,
  type Route,
  type ServicePolicyInput,
} from '@tether/shared';
import { distinctRoutes, route, specRoute } from './fixtures.js';

const siteArb = fc.constantFrom('a', 'b', 'c');
const originArb = fc.constantFrom('e1', 'e2', 'e3', 'e4', 'central');
const labelsArb = fc.dictionary(fc.constantFrom('env', 'tier'), fc.constantFrom('prod', 'dev'), {
  maxKeys: 2,
});
const matchArb = fc.record({ site: siteArb, labels: labelsArb, agent: originArb }, { requiredKeys: [] });

const routesArb = fc
  .array(
    fc.record({
      origin: originArb,
      port: fc.integer({ min: 1, max: 6 }),
      site: siteArb,
      labels: labelsArb,
      stale: fc.boolean(),
    }),
    { maxLength: 10 },
  )
  .map((specs) => distinctRoutes(specs.map(specRoute)));

const policyArb: fc.Arbitrary<ServicePolicyInput> = fc.record(
  {
    filter: fc.record(
      { labels: labelsArb, sites: fc.uniqueArray(siteArb, { minLength: 1 }) },
      { requiredKeys: [] },
    ),
    tiers: fc.array(fc.record({ match: matchArb, priority: fc.integer({ min: 0, max: 200 }) }), {
      maxLength: 3,
    }),
    weights: fc.array(fc.record({ match: matchArb, weight: fc.integer({ min: 0, max: 100 }) }), {
      maxLength: 3,
    }),
    defaultWeight: fc.integer({ min: 0, max: 5 }),
    localFirst: fc.boolean(),
    allowEdgeCallers: fc.array(fc.constantFrom('e1', 'e2', '*'), { maxLength: 2 }),
    allowEdgeInstances: fc.array(fc.constantFrom('e1', 'e3', '*'), { maxLength: 2 }),
  },
  { requiredKeys: [] },
);

const callerArb: fc.Arbitrary<Caller> = fc.record({
  kind: fc.constantFrom('edge', 'central'),
  id: fc.constantFrom('e1', 'e2', 'e3'),
  site: fc.option(siteArb, { nil: undefined }),
});

/** Name ownership, written out independently: with a central route, an edge route needs allowEdgeInstances. */
function owned(routes: readonly Route[], policy: ReturnType<typeof ServicePolicySchema.parse>) {
  const central = routes.some((r) => r.origin === 'central');
  return (r: Route) => !central || r.origin === 'central' || allowsEdgeInstance(policy, r.origin);
}

/** A small seeded PRNG (mulberry32). */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('selectRoute properties', () => {
  it('picks an eligible route exactly when one exists, never a conflicting/stale/excluded/unavailable/filtered/forbidden one', () => {
    fc.assert(
      fc.property(
        routesArb,
        policyArb,
        callerArb,
        fc.func(fc.boolean()),
        fc.func(fc.boolean()),
        fc.func(fc.nat({ max: 5 })),
        fc.integer(),
        (routes, input, caller, excluded, available, inflight, seed) => {
          const policy = ServicePolicySchema.parse(input);
          const exclude = new Set(routes.map(routeKey).filter((k) => excluded(k)));
          const ctx = { caller, exclude, isAvailable: available, inflight, random: seeded(seed) };
          const eligible = routes.filter(
            (r) =>
              owned(routes, policy)(r) &&
              r.state === 'active' &&
              passesFilter(policy, r) &&
              mayCall(policy, caller, r) &&
              !exclude.has(routeKey(r)) &&
              available(routeKey(r)),
          );
          const picked = selectRoute(routes, policy, ctx);
          if (eligible.length === 0) expect(picked).toBeUndefined();
          else expect(eligible).toContain(picked);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('respects weights statistically (seeded): any split within 2 points over 20000 picks', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 99 }), fc.integer(), (heavy, seed) => {
        const a = route({ origin: 'e1', address: 'http://a', site: 'a' });
        const b = route({ origin: 'e2', address: 'http://b', site: 'b' });
        const a2 = route({ origin: 'e3', address: 'http://a2', site: 'a' });
        const policy = ServicePolicySchema.parse({
          weights: [
            { match: { site: 'a' }, weight: heavy },
            { match: { site: 'b' }, weight: 100 - heavy },
          ],
        });
        const random = seeded(seed);
        const ctx = {
          caller: { kind: 'central' as const, id: 'c' },
          exclude: new Set<string>(),
          isAvailable: () => true,
          inflight: () => 0,
          random,
        };
        let inA = 0;
        const n = 20_000;
        for (let i = 0; i < n; i++) if (selectRoute([a, b, a2], policy, ctx)?.site === 'a') inA++;
        expect(Math.abs((inA / n) * 100 - heavy)).toBeLessThan(2);
      }),
      { numRuns: 10 },
    );
  });

  it('prefers the lowest priority tier that has an eligible route', () => {
    fc.assert(
      fc.property(routesArb, fc.integer(), (routes, seed) => {
        const policy = ServicePolicySchema.parse({
          tiers: [
            { match: { site: 'a' }, priority: 1 },
            { match: { site: 'b' }, priority: 2 },
          ],
        });
        const caller: Caller = { kind: 'central', id: 'c', site: 'c' };
        const ctx = {
          caller,
          exclude: new Set<string>(),
          isAvailable: () => true,
          inflight: () => 0,
          random: seeded(seed),
        };
        const picked = selectRoute(routes, policy, ctx);
        const active = routes.filter((r) => r.state === 'active' && owned(routes, policy)(r));
        const want = active.some((r) => r.site === 'a')
          ? 'a'
          : active.some((r) => r.site === 'b')
            ? 'b'
            : active.length
              ? 'c'
              : undefined;
        expect(picked?.site).toBe(want);
      }),
      { numRuns: 300 },
    );
  });
});
