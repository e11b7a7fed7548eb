import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchesFilter, routeKey, type Route, type RouteFilter, type RouteKey } from '@tether/shared';
import { RouteIndex } from '../src/store/route-index.js';
import { edgeRoute } from './helpers.js';

const route = fc.record({
  service: fc.constantFrom('a', 'b', 'c'),
  address: fc.constantFrom('http://1', 'http://2', 'http://ü'),
  origin: fc.constantFrom('e1', 'e2', 'central'),
  originKind: fc.constantFrom('edge' as const, 'central' as const),
  site: fc.constantFrom('s', 't'),
  labels: fc.constant({}),
  metric: fc.integer({ min: 1, max: 3 }),
  state: fc.constantFrom('active' as const, 'stale' as const),
  version: fc.integer({ min: 1, max: 3 }),
});
// Mostly writes, a clear now and then: the table ends up holding something in most runs.
const op = fc.oneof(
  { arbitrary: route.map((r) => ({ type: 'set' as const, route: r })), weight: 8 },
  { arbitrary: route.map((r) => ({ type: 'delete' as const, key: routeKey(r) })), weight: 4 },
  { arbitrary: fc.constant({ type: 'clear' as const }), weight: 1 },
);
const filter: fc.Arbitrary<RouteFilter> = fc.record(
  {
    service: fc.constantFrom('a', 'b', 'z'),
    origin: fc.constantFrom('e1', 'e2'),
    originKind: fc.constantFrom('edge' as const, 'central' as const),
    state: fc.constantFrom('active' as const, 'stale' as const),
  },
  { requiredKeys: [] },
);

describe('RouteIndex', () => {
  it('lists (with keys) and counts what a plain map filtered and sorted by key holds, after any writes', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), fc.array(filter, { maxLength: 6 }), (ops, filters) => {
        const index = new RouteIndex();
        const model = new Map<RouteKey, Route>();
        for (const o of ops) {
          if (o.type === 'set') {
            index.set(routeKey(o.route), o.route);
            model.set(routeKey(o.route), o.route);
          } else if (o.type === 'delete') {
            index.delete(o.key);
            model.delete(o.key);
          } else {
            index.clear();
            model.clear();
          }
          // A list in between: the cached per-service lists must follow later writes.
          index.list({ service: 'a' });
        }
        // The services' tallies: what counting the model gives, in name order, paged from any name.
        const tallies = new Map<string, { active: number; stale: number; sites: Map<string, number> }>();
        for (const r of [...model.values()].sort((a, b) => (a.service < b.service ? -1 : 1))) {
          const t = tallies.get(r.service) ?? { active: 0, stale: 0, sites: new Map<string, number>() };
          t[r.state]++;
          t.sites.set(r.site, (t.sites.get(r.site) ?? 0) + 1);
          tallies.set(r.service, t);
        }
        expect(index.tallies.after(undefined, 100)).toEqual([...tallies]);
        expect(index.tallies.after('a', 1)).toEqual([...tallies].filter(([n]) => n > 'a').slice(0, 1));
        for (const f of [{}, ...filters]) {
          const entries = [...model]
            .filter(([, r]) => matchesFilter(r, f))
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
          const expected = entries.map(([, r]) => r);
          expect(index.list(f)).toEqual(expected);
          expect(index.entries(f)).toEqual(entries);
          expect(index.count(f)).toBe(expected.length);
        }
        expect(index.size).toBe(model.size);
        // The stale set, also after routes changed state in place.
        const stale = [...model.values()].filter((r) => r.state === 'stale');
        expect(index.count({ state: 'stale' })).toBe(stale.length);
        expect([...index.staleOrigins()].sort()).toEqual([...new Set(stale.map((r) => r.origin))].sort());
      }),
    );
  });

  it('staleBefore lists the stale routes stale since before the cutoff, by key, as filtering every route does', () => {
    const staled = fc.tuple(route, fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }));
    fc.assert(
      fc.property(fc.array(staled, { maxLength: 30 }), fc.integer({ min: 0, max: 11 }), (rows, cutoff) => {
        const index = new RouteIndex();
        const model = new Map<RouteKey, Route>();
        for (const [r, since] of rows) {
          const withSince: Route = since === undefined ? r : { ...r, staleSince: since };
          index.set(routeKey(r), withSince);
          model.set(routeKey(r), withSince);
        }
        const expected = [...model]
          .filter(([, r]) => r.state === 'stale' && (r.staleSince ?? 0) < cutoff)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([, r]) => r);
        expect(index.staleBefore(cutoff)).toEqual(expected);
      }),
    );
  });

  it('hands out copies: changing a returned list changes nothing held', () => {
    const index = new RouteIndex();
    const r = edgeRoute('e1', 'a', 'http://1');
    index.set(routeKey(r), r);
    index.list({ service: 'a' }).pop();
    expect(index.list({ service: 'a' })).toEqual([r]);
  });
});
