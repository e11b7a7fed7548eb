import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  advertisement,
  byKey,
  diffRoutes,
  routeKey,
  selectAdvertised,
  splitHorizon,
  type AdvertiseStrategy,
  type Route,
} from '@tether/shared';
import { route, serviceArb } from './fixtures.js';

const SELF = 'edge-1';
const own = (service: string, metric: number, extra: Partial<Route> = {}): Route =>
  route({
    service,
    metric,
    origin: SELF,
    originKind: 'local',
    address: `http://own/${service}/${metric}`,
    ...extra,
  });
const learned = (service: string, metric: number, origin = 'central', extra: Partial<Route> = {}): Route =>
  route({
    service,
    metric,
    origin,
    originKind: origin === 'central' ? 'central' : 'edge',
    address: `http://${origin}/${service}/${metric}`,
    ...extra,
  });

const keys = (routes: readonly Route[]): string[] => routes.map(routeKey).sort();

describe('selectAdvertised', () => {
  const ownApi = own('api', 5);
  const ownApiStale = own('api', 1, { state: 'stale', staleSince: 100, address: 'http://own/stale' });
  const learnedApi = learned('api', 5);
  const learnedDb = learned('db', 3);
  const ownDb = own('db', 7);
  const ownCacheOnly = own('cache', 9);
  const table = [learnedApi, ownApi, ownApiStale, learnedDb, ownDb, ownCacheOnly];

  const cases: { strategy: AdvertiseStrategy; expected: Route[] }[] = [
    { strategy: 'none', expected: [] },
    { strategy: 'local', expected: [ownApi, ownDb, ownCacheOnly] },
    // api: tie at 5 -> own wins; db: learned (3) beats own (7); cache: only own. Stale route never counts.
    { strategy: 'best', expected: [ownApi, learnedDb, ownCacheOnly] },
    { strategy: 'all', expected: [learnedApi, ownApi, learnedDb, ownDb, ownCacheOnly] },
  ];
  it.each(cases)('$strategy selects exactly the expected routes', ({ strategy, expected }) => {
    expect(keys(selectAdvertised(table, strategy, SELF))).toEqual(keys(expected));
  });

  it('local never includes a learned route, even one claiming originKind local', () => {
    const sneaky = learned('api', 1, 'edge-2', { originKind: 'local' });
    expect(selectAdvertised([sneaky, ownApi], 'local', SELF)).toEqual([ownApi]);
  });

  it('best picks the own route on a tie regardless of input order', () => {
    expect(selectAdvertised([learnedApi, ownApi], 'best', SELF)).toEqual([ownApi]);
    expect(selectAdvertised([ownApi, learnedApi], 'best', SELF)).toEqual([ownApi]);
  });

  it('best ignores a lower-metric route that is stale', () => {
    const staleCheap = learned('api', 0, 'edge-3', { state: 'stale', staleSince: 1 });
    expect(selectAdvertised([staleCheap, learnedApi, own('api', 8)], 'best', SELF)).toEqual([learnedApi]);
  });

  it('best returns one route per service', () => {
    const picked = selectAdvertised(table, 'best', SELF);
    expect(new Set(picked.map((r) => r.service)).size).toBe(picked.length);
  });

  it('every strategy drops stale routes', () => {
    for (const strategy of ['local', 'best', 'all'] as const) {
      expect(selectAdvertised([ownApiStale], strategy, SELF)).toEqual([]);
    }
  });
});

describe('advertisement (selection minus split horizon)', () => {
  const ownApi = own('api', 5);
  const learnedDb = learned('db', 3);
  const ownDb = own('db', 7);
  const learnedEdge = learned('web', 1, 'edge-2');
  const table = [ownApi, learnedDb, ownDb, learnedEdge];

  it.each([
    { strategy: 'none' as const, expected: [] },
    { strategy: 'local' as const, expected: [ownApi, ownDb] },
    // best picked the learned db route; split horizon drops it and does not fall back to the own one.
    { strategy: 'best' as const, expected: [ownApi] },
    { strategy: 'all' as const, expected: [ownApi, ownDb] },
  ])('$strategy sends only own routes', ({ strategy, expected }) => {
    expect(keys(advertisement(table, strategy, SELF))).toEqual(keys(expected));
  });

  it('splitHorizon keeps exactly the routes whose origin is self', () => {
    expect(splitHorizon(table, SELF)).toEqual([ownApi, ownDb]);
    expect(splitHorizon(table, 'edge-2')).toEqual([learnedEdge]);
  });
});

describe('deltas of the advertised set never carry a learned route', () => {
  it('a learned route that becomes best is not sent as an upsert', () => {
    const ownApi = own('api', 5);
    const before = [ownApi, learned('api', 9)];
    const after = [ownApi, learned('api', 1)];
    const delta = diffRoutes(
      byKey(advertisement(before, 'best', SELF)),
      byKey(advertisement(after, 'best', SELF)),
    );
    expect(delta.upserts).toEqual([]);
    expect(delta.removes).toEqual([routeKey(ownApi)]);
  });

  const routeArb = fc.record({
    service: serviceArb,
    origin: fc.constantFrom(SELF, 'central', 'edge-2', 'edge-3'),
    address: fc.constantFrom('http://a', 'http://b'),
    metric: fc.integer({ min: 0, max: 5 }),
    state: fc.constantFrom('active' as const, 'stale' as const),
  });
  const tableArb = fc.array(routeArb, { maxLength: 12 }).map((rs) =>
    rs.map((r) =>
      route({
        ...r,
        originKind: r.origin === SELF ? 'local' : r.origin === 'central' ? 'central' : 'edge',
      }),
    ),
  );

  it('property: for any strategy and any two tables, the delta holds only own routes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<AdvertiseStrategy>('none', 'local', 'best', 'all'),
        tableArb,
        tableArb,
        (s, t1, t2) => {
          const before = byKey(advertisement(t1, s, SELF));
          const after = byKey(advertisement(t2, s, SELF));
          const delta = diffRoutes(before, after);
          for (const r of delta.upserts) expect(r.origin).toBe(SELF);
          for (const k of delta.removes) expect((JSON.parse(k) as string[])[1]).toBe(SELF);
          // Applying the delta to `before` yields `after`.
          const applied = new Map(before);
          for (const k of delta.removes) applied.delete(k);
          for (const r of delta.upserts) applied.set(routeKey(r), r);
          expect([...applied.keys()].sort()).toEqual([...after.keys()].sort());
        },
      ),
      { numRuns: 300 },
    );
  });
});
