import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { routeKey, type Route, type RouteEvent, type RouteTable } from '@tether/shared';

/** A valid route with defaults; override any field. */
function route(overrides: Partial<Route> = {}): Route {
  return {
    service: 'api',
    address: 'http://10.0.0.1:80',
    origin: 'e1',
    originKind: 'edge',
    site: 'site-1',
    labels: {},
    metric: 10,
    state: 'active',
    version: 1,
    ...overrides,
  };
}

/** Events reduced to order-independent `type key` strings. */
const summary = (events: RouteEvent[]) => events.map((e) => `${e.type} ${routeKey(e.route)}`).sort();

/**
 * The behaviour every RouteTable must show (MemoryRouteTable, SqliteRouteTable). `create` is called before each
 * test for an empty table; `close` after it.
 */
export function describeRouteTableContract(
  name: string,
  create: () => { table: RouteTable; close?: () => void },
) {
  describe(`RouteTable contract: ${name}`, () => {
    let table: RouteTable;
    let close: (() => void) | undefined;
    beforeEach(() => {
      ({ table, close } = create());
    });
    afterEach(() => close?.());

    const a = route({ service: 'a' });
    const b = route({ service: 'b', origin: 'e2', address: 'http://10.0.0.2:80' });
    const c = route({ service: 'c', origin: 'central', originKind: 'central', address: 'https://hub/c' });

    it('lists by service exactly the routes a full list filtered so gives, through every kind of change', () => {
      const byService = (service: string, extra = {}) => table.list({ service, ...extra });
      const expectConsistent = (): void => {
        for (const service of ['a', 'b', 'c', 'z'])
          for (const extra of [
            {},
            { origin: 'e1' },
            { state: 'active' as const },
            { state: 'stale' as const },
          ])
            expect(byService(service, extra)).toEqual(table.list(extra).filter((r) => r.service === service));
      };
      const a2 = route({ service: 'a', address: 'http://10.0.0.9:80' });
      table.apply([a, a2, b, c]);
      expectConsistent();
      table.apply([], [routeKey(a)]);
      expectConsistent();
      expect(byService('a')).toEqual([a2]);
      table.markStale({ origin: 'e1' }, 1_000);
      expectConsistent();
      table.deleteStaleBefore(2_000);
      expectConsistent();
      expect(byService('a')).toEqual([]);
      table.replaceOrigin('e2', [route({ service: 'z', origin: 'e2', address: 'http://10.0.0.3:80' })]);
      expectConsistent();
      expect(byService('b')).toEqual([]);
      expect(byService('z').map((r) => r.address)).toEqual(['http://10.0.0.3:80']);
    });

    it('starts empty', () => {
      expect(table.list()).toEqual([]);
      expect(table.count()).toBe(0);
      expect(table.get(routeKey(a))).toBeUndefined();
    });

    it('emits created, updated (with previous) and deleted events', () => {
      expect(table.apply([a])).toEqual([{ type: 'created', route: a }]);
      expect(table.get(routeKey(a))).toEqual(a);
      const cheaper = { ...a, metric: 3, version: 2 };
      expect(table.apply([cheaper])).toEqual([{ type: 'updated', route: cheaper, previous: a }]);
      expect(table.get(routeKey(a))).toEqual(cheaper);
      expect(table.apply([], [routeKey(a)])).toEqual([{ type: 'deleted', route: cheaper }]);
      expect(table.get(routeKey(a))).toBeUndefined();
      expect(table.count()).toBe(0);
    });

    it.each<[string, Partial<Route>]>([
      ['labels', { labels: { env: 'prod' } }],
      ['site', { site: 'site-2' }],
      ['state', { state: 'stale', staleSince: 5 }],
      ['originKind', { originKind: 'local' }],
    ])('a change of %s is an update', (_field, change) => {
      table.apply([a]);
      const changed = { ...a, ...change };
      expect(table.apply([changed])).toEqual([{ type: 'updated', route: changed, previous: a }]);
      expect(table.get(routeKey(a))).toEqual(changed);
    });

    it('an upsert that changes nothing emits no event, but stores the new version', () => {
      table.apply([a, b]);
      expect(table.apply([{ ...a }, { ...b }])).toEqual([]);
      expect(table.apply([{ ...a, version: 7 }])).toEqual([]);
      expect(table.get(routeKey(a))?.version).toBe(7);
      expect(table.count()).toBe(2);
    });

    it('deleting an unknown key emits nothing', () => {
      table.apply([a]);
      expect(table.apply([], [routeKey(b), 'not a key'])).toEqual([]);
      expect(table.list()).toEqual([a]);
    });

    it('applies upserts and removes of one batch together', () => {
      table.apply([a, b]);
      const a2 = { ...a, metric: 1 };
      const events = table.apply([a2, c], [routeKey(b)]);
      expect(summary(events)).toEqual(
        [`updated ${routeKey(a)}`, `created ${routeKey(c)}`, `deleted ${routeKey(b)}`].sort(),
      );
      expect(table.list()).toEqual([a2, c].sort((x, y) => (routeKey(x) < routeKey(y) ? -1 : 1)));
    });

    it('an upsert and a remove of the same key in one batch leaves it absent', () => {
      table.apply([b]);
      const events = table.apply([a], [routeKey(a)]);
      expect(events.map((e) => e.type)).toEqual(['created', 'deleted']);
      expect(table.get(routeKey(a))).toBeUndefined();
      expect(table.list()).toEqual([b]);
    });

    it('a batch that fails midway changes nothing', () => {
      table.apply([a]);
      const broken: Route = {
        ...route({ service: 'z' }),
        get service(): string {
          throw new Error('boom');
        },
      };
      expect(() =>
        table.apply([{ ...a, metric: 99 }, route({ service: 'new' }), broken], [routeKey(a)]),
      ).toThrow();
      expect(table.list()).toEqual([a]);
    });

    it("replaceOrigin replaces exactly that origin's routes", () => {
      const a1 = route({ service: 'a', address: 'http://1' });
      const a2 = route({ service: 'a', address: 'http://2' });
      const a3 = route({ service: 'x', address: 'http://3' });
      table.apply([a1, a2, b, c]);
      const a1b = { ...a1, metric: 2 };
      const a4 = route({ service: 'y', address: 'http://4' });
      const events = table.replaceOrigin('e1', [a1b, a3, a4]);
      expect(summary(events)).toEqual(
        [
          `updated ${routeKey(a1)}`,
          `deleted ${routeKey(a2)}`,
          `created ${routeKey(a3)}`,
          `created ${routeKey(a4)}`,
        ].sort(),
      );
      expect(table.list({ origin: 'e1' }).map(routeKey)).toEqual([a1b, a3, a4].map(routeKey).sort());
      expect(table.list({ origin: 'e2' })).toEqual([b]);
      expect(table.list({ origin: 'central' })).toEqual([c]);
    });

    it("replaceOrigin with nothing deletes all of the origin's routes, and only those", () => {
      table.apply([a, route({ service: 'a2' }), b]);
      const events = table.replaceOrigin('e1', []);
      expect(events.every((e) => e.type === 'deleted' && e.route.origin === 'e1')).toBe(true);
      expect(events).toHaveLength(2);
      expect(table.list()).toEqual([b]);
    });

    it('replaceOrigin with the same set emits nothing', () => {
      table.apply([a, b]);
      expect(table.replaceOrigin('e1', [{ ...a }])).toEqual([]);
      expect(table.count()).toBe(2);
    });

    it('markStale touches only matching active routes and sets staleSince', () => {
      const already = route({ service: 'old', state: 'stale', staleSince: 50 });
      table.apply([a, b, c, already]);
      const events = table.markStale({ origin: 'e1' }, 1_000);
      expect(events).toEqual([
        { type: 'updated', route: { ...a, state: 'stale', staleSince: 1_000 }, previous: a },
      ]);
      expect(table.get(routeKey(a))).toMatchObject({ state: 'stale', staleSince: 1_000 });
      expect(table.get(routeKey(already))).toEqual(already);
      expect(table.get(routeKey(b))).toEqual(b);
      expect(table.get(routeKey(c))).toEqual(c);
      expect(table.markStale({ origin: 'e1' }, 2_000)).toEqual([]);
      expect(table.get(routeKey(a))?.staleSince).toBe(1_000);
    });

    it('markStale honours service and originKind filters', () => {
      table.apply([a, route({ service: 'other' }), b, c]);
      expect(summary(table.markStale({ service: 'a' }, 5))).toEqual([`updated ${routeKey(a)}`]);
      expect(summary(table.markStale({ originKind: 'edge' }, 6))).toEqual(
        [`updated ${routeKey(b)}`, `updated ${routeKey(route({ service: 'other' }))}`].sort(),
      );
      expect(table.count({ state: 'active' })).toBe(1);
      expect(table.get(routeKey(c))?.state).toBe('active');
    });

    it('deleteStaleBefore deletes only stale routes older than the cutoff', () => {
      const old = route({ service: 'old', state: 'stale', staleSince: 100 });
      const atCutoff = route({ service: 'edge', state: 'stale', staleSince: 200 });
      const recent = route({ service: 'new', state: 'stale', staleSince: 300 });
      table.apply([a, old, atCutoff, recent]);
      expect(table.deleteStaleBefore(200)).toEqual([{ type: 'deleted', route: old }]);
      expect(
        table
          .list()
          .map((r) => r.service)
          .sort(),
      ).toEqual(['a', 'edge', 'new']);
      expect(summary(table.deleteStaleBefore(1_000))).toEqual(
        [`deleted ${routeKey(atCutoff)}`, `deleted ${routeKey(recent)}`].sort(),
      );
      expect(table.list()).toEqual([a]);
    });

    it('lists with filters and in key order; count agrees', () => {
      const routes = [
        route({ service: 'zeta', address: 'http://9' }),
        route({ service: 'alpha', address: 'http://2', origin: 'e2' }),
        route({ service: 'alpha', address: 'http://1', origin: 'e2', state: 'stale', staleSince: 1 }),
        route({ service: 'mid', origin: 'central', originKind: 'central', address: 'https://m' }),
        route({ service: 'alpha', address: 'http://3', originKind: 'local' }),
      ];
      table.apply(routes);
      const ordered = [...routes].sort((x, y) => (routeKey(x) < routeKey(y) ? -1 : 1));
      expect(table.list()).toEqual(ordered);
      const cases = [
        { service: 'alpha' },
        { origin: 'e2' },
        { originKind: 'central' as const },
        { state: 'stale' as const },
        { service: 'alpha', origin: 'e2', state: 'active' as const },
        { service: 'nope' },
        {},
      ];
      for (const filter of cases) {
        const expected = ordered.filter((r) =>
          Object.entries(filter).every(([k, v]) => r[k as keyof Route] === v),
        );
        expect(table.list(filter)).toEqual(expected);
        expect(table.count(filter)).toBe(expected.length);
      }
    });

    it('round-trips labels, site, address and staleSince exactly', () => {
      const labels = { env: 'prod', 'k.with.dots': 'v=1,2', ünï: 'ʕ•ᴥ•ʔ', empty: '', quote: '"\'\\' };
      const r = route({
        labels,
        site: 'Paris — rive gauche',
        address: 'http://[::1]:80/a?b=c#d',
        state: 'stale',
        staleSince: 123,
      });
      const bare = route({ service: 'bare' });
      table.apply([r, bare]);
      expect(table.get(routeKey(r))).toEqual(r);
      expect(table.get(routeKey(r))?.labels).toEqual(labels);
      expect(table.get(routeKey(bare))).toEqual(bare);
      expect(table.get(routeKey(bare))).not.toHaveProperty('staleSince');
    });
  });
}
