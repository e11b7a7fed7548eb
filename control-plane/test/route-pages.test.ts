import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchesFilter, routeKey, type Route, type RouteFilter, type RouteKey } from '@tether/shared';
import { RouteIndex } from '../src/store/route-index.js';

const route = fc.record({
  service: fc.constantFrom('a', 'b', 'c'),
  address: fc.integer({ min: 0, max: 30 }).map((n) => `http://h${n}`),
  origin: fc.constantFrom('e1', 'e2', 'e3'),
  originKind: fc.constant('edge' as const),
  site: fc.constantFrom('s1', 's2'),
  labels: fc.constant({}),
  metric: fc.constant(1),
  state: fc.constantFrom('active' as const, 'stale' as const),
  version: fc.constant(1),
});
const filter: fc.Arbitrary<RouteFilter> = fc.record(
  {
    service: fc.constantFrom('a', 'b'),
    origin: fc.constantFrom('e1', 'e2'),
    state: fc.constantFrom('active' as const, 'stale' as const),
    site: fc.constantFrom('s1', 's2'),
  },
  { requiredKeys: [] },
);
type Change = { type: 'set'; route: Route } | { type: 'delete'; key: RouteKey };
/** What changes between two pages: a route set (new or updated) or a key deleted. */
const change: fc.Arbitrary<Change> = fc.oneof(
  route.map((r) => ({ type: 'set' as const, route: r })),
  route.map((r) => ({ type: 'delete' as const, key: routeKey(r) })),
);

/** Walks every page, applying the changes given for each step before the next page. */
function walk(
  index: RouteIndex,
  f: RouteFilter,
  limit: number,
  budget: number,
  between: Change[][] = [],
): { keys: RouteKey[]; touched: Set<RouteKey> } {
  const keys: RouteKey[] = [];
  const touched = new Set<RouteKey>();
  let after: RouteKey | undefined;
  for (let step = 0; step < 1_000; step++) {
    const page = index.page(f, after, limit, budget);
    expect(page.items.length).toBeLessThanOrEqual(limit);
    for (const r of page.items) {
      expect(matchesFilter(r, f)).toBe(true);
      keys.push(routeKey(r));
    }
    if (page.next === null) return { keys, touched };
    after = page.next;
    for (const c of between[step] ?? []) {
      const key = c.type === 'set' ? routeKey(c.route) : c.key;
      touched.add(key);
      if (c.type === 'set') index.set(key, c.route);
      else index.delete(key);
    }
  }
  throw new Error('the walk did not end in 1,000 pages');
}

describe('RouteIndex pages (keyset)', () => {
  it('every unchanged match shows once, in key order, while rows change between pages; unchanged: as list()', () => {
    fc.assert(
      fc.property(
        fc.array(route, { maxLength: 60 }),
        filter,
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 9 }),
        fc.oneof(
          fc.constant<Change[][]>([]),
          fc.array(fc.array(change, { maxLength: 5 }), { maxLength: 30 }),
        ),
        (routes, f, limit, budget, between) => {
          const index = new RouteIndex();
          for (const r of routes) index.set(routeKey(r), r);
          const before = index.list(f).map(routeKey);
          const { keys, touched } = walk(index, f, limit, budget, between);
          if (touched.size === 0) expect(keys).toEqual(before);
          expect(new Set(keys).size).toBe(keys.length);
          expect([...keys].sort()).toEqual(keys);
          const seen = new Set(keys);
          for (const key of before) if (!touched.has(key)) expect(seen.has(key)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
