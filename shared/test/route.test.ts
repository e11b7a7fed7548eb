import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  byKey,
  diffRoutes,
  isEmptyDelta,
  routeChanged,
  routeKey,
  sameLabels,
  type Route,
} from '@tether/shared';
import { route } from './fixtures.js';

const tricky = fc.string({
  unit: fc.constantFrom('a', 'b', '|', ':', '/', ',', '"', '\\', '[', ']', ' ', '\u0000'),
  maxLength: 6,
});

describe('routeKey', () => {
  const base = route();
  it.each<[string, Partial<Route>]>([
    ['metric', { metric: 999 }],
    ['labels', { labels: { env: 'prod' } }],
    ['state', { state: 'stale', staleSince: 5 }],
    ['version', { version: 42 }],
    ['site', { site: 'elsewhere' }],
    ['originKind', { originKind: 'edge' }],
  ])('is unchanged by %s', (_field, change) => {
    expect(routeKey({ ...base, ...change })).toBe(routeKey(base));
  });

  it.each<[string, Partial<Route>]>([
    ['service', { service: 'other' }],
    ['origin', { origin: 'edge-2' }],
    ['address', { address: 'http://10.0.0.2:8080' }],
  ])('changes with %s', (_field, change) => {
    expect(routeKey({ ...base, ...change })).not.toBe(routeKey(base));
  });

  it('is remembered per route object, and computed again when that object changed in place', () => {
    const r = route();
    const first = routeKey(r);
    expect(routeKey(r)).toBe(first);
    for (const [field, value] of [
      ['service', 'other'],
      ['origin', 'edge-9'],
      ['address', 'http://10.9.9.9:1'],
    ] as const) {
      const before = routeKey(r);
      r[field] = value;
      expect(routeKey(r)).not.toBe(before);
      expect(routeKey(r)).toBe(routeKey({ ...r }));
    }
  });

  it.each([
    [
      { service: 'a|b', origin: 'c', address: 'd' },
      { service: 'a', origin: 'b|c', address: 'd' },
    ],
    [
      { service: 'a', origin: 'b', address: 'c/d' },
      { service: 'a', origin: 'b/c', address: 'd' },
    ],
    [
      { service: 'a","b', origin: 'c', address: 'd' },
      { service: 'a', origin: 'b","c', address: 'd' },
    ],
  ])('separators inside values do not collide (%#)', (a, b) => {
    expect(routeKey(a)).not.toBe(routeKey(b));
  });

  it('property: distinct identities give distinct keys, equal identities equal keys', () => {
    const id = fc.record({ service: tricky, origin: tricky, address: tricky });
    fc.assert(
      fc.property(id, id, (a, b) => {
        const same = a.service === b.service && a.origin === b.origin && a.address === b.address;
        expect(routeKey(a) === routeKey(b)).toBe(same);
      }),
      { numRuns: 500 },
    );
  });
});

describe('routeChanged and sameLabels', () => {
  const base = route({ labels: { a: '1' } });
  it.each<[string, Partial<Route>, boolean]>([
    ['metric', { metric: 11 }, true],
    ['site', { site: 'x' }, true],
    ['state', { state: 'stale' }, true],
    ['originKind', { originKind: 'edge' }, true],
    ['source', { source: 'etcd' }, true],
    ['labels value', { labels: { a: '2' } }, true],
    ['labels added', { labels: { a: '1', b: '2' } }, true],
    ['labels removed', { labels: {} }, true],
    ['version only', { version: 99 }, false],
    ['staleSince only', { staleSince: 7 }, false],
    ['labels reordered copy', { labels: { a: '1' } }, false],
  ])('%s -> %s', (_name, change, changed) => {
    expect(routeChanged(base, { ...base, ...change })).toBe(changed);
  });

  it.each([
    [{}, {}, true],
    [{ a: '1', b: '2' }, { b: '2', a: '1' }, true],
    [{ a: '1' }, { b: '1' }, false],
    [{ a: '' }, {}, false],
    [{ a: '1' }, { a: '1', b: '' }, false],
  ])('sameLabels(%j, %j) = %s', (a, b, expected) => {
    expect(sameLabels(a, b)).toBe(expected);
    expect(sameLabels(b, a)).toBe(expected);
  });
});

describe('diffRoutes', () => {
  const a = route({ service: 'a' });
  const b = route({ service: 'b' });
  const c = route({ service: 'c' });
  it('reports added, changed and removed routes, and nothing for unchanged ones', () => {
    const bChanged = { ...b, metric: 1 };
    const cVersion = { ...c, version: 9 };
    const d = route({ service: 'd' });
    const delta = diffRoutes(byKey([a, b, c]), byKey([bChanged, cVersion, d]));
    expect(delta.upserts).toEqual([bChanged, d]);
    expect(delta.removes).toEqual([routeKey(a)]);
    expect(isEmptyDelta(delta)).toBe(false);
  });

  it('is empty between equal sets', () => {
    const delta = diffRoutes(byKey([a, b]), byKey([b, a]));
    expect(delta).toEqual({ upserts: [], removes: [] });
    expect(isEmptyDelta(delta)).toBe(true);
  });

  it.each([
    [{ upserts: [a], removes: [] }, false],
    [{ upserts: [], removes: ['k'] }, false],
    [{ upserts: [], removes: [] }, true],
  ])('isEmptyDelta(%#) = %s', (delta, expected) => {
    expect(isEmptyDelta(delta)).toBe(expected);
  });

  it('byKey indexes by routeKey, the last duplicate winning', () => {
    const a2 = { ...a, metric: 3 };
    const map = byKey([a, b, a2]);
    expect([...map.keys()]).toEqual([routeKey(a), routeKey(b)]);
    expect(map.get(routeKey(a))).toBe(a2);
  });
});
