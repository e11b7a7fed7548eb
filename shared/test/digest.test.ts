import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { routesDigest, type Route } from '@tether/shared';
import { labelsArb, route, serviceArb } from './fixtures.js';

const a = route({ service: 'a', labels: { env: 'prod', zone: 'eu' } });
const b = route({ service: 'b', metric: 3 });
const c = route({ service: 'c', origin: 'edge-2', site: 's2' });
const digest = routesDigest([a, b, c]);

describe('routesDigest', () => {
  it('is a stable hex string and deterministic', () => {
    expect(digest).toMatch(/^[0-9a-f]{32}$/);
    expect(routesDigest([a, b, c])).toBe(digest);
  });

  it('is independent of order and accepts any iterable', () => {
    expect(routesDigest([c, a, b])).toBe(digest);
    expect(routesDigest(new Set([b, c, a]))).toBe(digest);
  });

  it('is independent of label insertion order', () => {
    expect(routesDigest([{ ...a, labels: { zone: 'eu', env: 'prod' } }, b, c])).toBe(digest);
    // Entries that stringify alike ("a,b,c") must still sort by key.
    const x = route({ labels: { a: 'b,c', 'a,b': 'c' } });
    const y = route({ labels: { 'a,b': 'c', a: 'b,c' } });
    expect(routesDigest([x])).toBe(routesDigest([y]));
  });

  it.each<[string, Partial<Route>]>([
    ['metric', { metric: 99 }],
    ['label value', { labels: { env: 'dev', zone: 'eu' } }],
    ['label added', { labels: { env: 'prod', zone: 'eu', x: '' } }],
    ['label removed', { labels: { env: 'prod' } }],
    ['site', { site: 'other' }],
    ['service', { service: 'a2' }],
    ['origin', { origin: 'edge-9' }],
    ['address', { address: 'http://elsewhere' }],
  ])('changes when %s changes', (_name, change) => {
    expect(routesDigest([{ ...a, ...change }, b, c])).not.toBe(digest);
  });

  it.each<[string, Partial<Route>]>([
    ['state', { state: 'stale', staleSince: 10 }],
    ['version', { version: 1234 }],
    ['originKind', { originKind: 'edge' }],
  ])('is unchanged by %s', (_name, change) => {
    expect(routesDigest([{ ...a, ...change }, b, c])).toBe(digest);
  });

  it('changes when a route is added or removed; the empty set has its own digest', () => {
    expect(routesDigest([a, b])).not.toBe(digest);
    expect(routesDigest([a, b, c, route({ service: 'd' })])).not.toBe(digest);
    expect(routesDigest([])).not.toBe(routesDigest([a]));
  });

  it('property: any permutation and label re-insertion order gives the same digest', () => {
    const routes = fc.uniqueArray(
      fc.record({ service: serviceArb, metric: fc.nat(5), labels: labelsArb }).map((r) => route(r)),
      { maxLength: 6, selector: (r) => r.service },
    );
    fc.assert(
      fc.property(
        routes.chain((rs) =>
          fc.tuple(fc.constant(rs), fc.shuffledSubarray(rs, { minLength: rs.length, maxLength: rs.length })),
        ),
        ([rs, shuffled]) => {
          const relabelled = shuffled.map((r) => ({
            ...r,
            labels: Object.fromEntries(Object.entries(r.labels).reverse()),
          }));
          expect(routesDigest(relabelled)).toBe(routesDigest(rs));
        },
      ),
      { numRuns: 200 },
    );
  });
});
