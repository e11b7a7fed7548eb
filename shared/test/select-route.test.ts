import { describe, expect, it } from 'vitest';
import {
  routeKey,
  selectRoute,
  ServicePolicySchema,
  whyNoRoute,
  type Caller,
  type Route,
  type SelectionContext,
  type ServicePolicyInput,
} from '@tether/shared';
import { route } from './fixtures.js';

const a1 = route({ origin: 'a1', address: 'http://a1', site: 'a', labels: { env: 'prod' } });
const a2 = route({ origin: 'a2', address: 'http://a2', site: 'a', labels: { env: 'prod' } });
const b1 = route({ origin: 'b1', address: 'http://b1', site: 'b', labels: { env: 'prod' } });
const b2 = route({ origin: 'b2', address: 'http://b2', site: 'b', labels: { env: 'dev' } });
const c1 = route({ origin: 'central', originKind: 'central', address: 'http://c1', site: 'hub' });
const staleA = route({ origin: 's1', address: 'http://s1', site: 'a', state: 'stale', staleSince: 1 });

const central: Caller = { kind: 'central', id: 'central:test', site: 'hub' };
const at = (site: string): Caller => ({ kind: 'central', id: 'central:test', site });
const edge = (id: string, site?: string): Caller => ({ kind: 'edge', id, site });

interface Case {
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

const cases: Case[] = [
  { name: 'no candidates', candidates: [], want: undefined },
  { name: 'the only active route', candidates: [a1], want: a1 },
  { name: 'stale routes are never picked', candidates: [staleA], want: undefined },
  { name: 'stale skipped for an active one', candidates: [staleA, b1], want: b1 },
  { name: 'excluded skipped', candidates: [a1, b1], exclude: [a1], caller: at('a'), want: b1 },
  { name: 'all excluded', candidates: [a1], exclude: [a1], want: undefined },
  {
    name: 'unavailable (ejected) skipped',
    candidates: [a1, b1],
    unavailable: [a1],
    caller: at('a'),
    want: b1,
  },
  { name: 'filter by label', candidates: [b2, a1], policy: { filter: { labels: { env: 'dev' } } }, want: b2 },
  {
    name: 'filter by site',
    candidates: [a1, b1],
    policy: { filter: { sites: ['b'] } },
    caller: at('a'),
    want: b1,
  },
  {
    name: 'filter leaves nothing',
    candidates: [a1, b1],
    policy: { filter: { sites: ['z'] } },
    want: undefined,
  },
  {
    name: 'lowest priority tier wins over local-first',
    candidates: [a1, b1],
    policy: { tiers: [{ match: { site: 'b' }, priority: 1 }] },
    caller: at('a'),
    want: b1,
  },
  {
    name: 'unmatched instances get priority 100',
    candidates: [a1, b1],
    policy: { tiers: [{ match: { site: 'b' }, priority: 101 }] },
    caller: at('b'),
    want: a1,
  },
  {
    name: 'next tier takes over when the first has no available instance',
    candidates: [a1, b1],
    policy: {
      tiers: [
        { match: { site: 'a' }, priority: 1 },
        { match: { site: 'b' }, priority: 2 },
      ],
    },
    unavailable: [a1],
    want: b1,
  },
  {
    name: 'next tier takes over when the first is stale',
    candidates: [staleA, b1],
    policy: { tiers: [{ match: { site: 'a' }, priority: 1 }] },
    want: b1,
  },
  {
    name: 'first matching tier entry decides',
    candidates: [a1, b1],
    policy: {
      tiers: [
        { match: { agent: 'a1' }, priority: 50 },
        { match: { site: 'a' }, priority: 1 },
        { match: { site: 'b' }, priority: 10 },
      ],
    },
    want: b1,
  },
  {
    name: 'tier by labels',
    candidates: [a1, b2],
    policy: { tiers: [{ match: { labels: { env: 'dev' } }, priority: 0 }] },
    caller: at('a'),
    want: b2,
  },
  { name: 'local-first picks the caller site', candidates: [a1, b1], caller: at('b'), random: [0], want: b1 },
  { name: 'local-first with an edge caller', candidates: [c1, b1], caller: edge('b1', 'hub'), want: c1 },
  {
    name: 'local-first falls back to other sites when local are unavailable',
    candidates: [a1, b1],
    caller: at('b'),
    unavailable: [b1],
    want: a1,
  },
  {
    name: 'local-first off: weights decide across sites',
    candidates: [a1, b1],
    policy: {
      localFirst: false,
      weights: [
        { match: { site: 'a' }, weight: 1 },
        { match: { site: 'b' }, weight: 9 },
      ],
    },
    caller: at('a'),
    random: [0.5],
    want: b1,
  },
  {
    name: 'weights: low random lands in the heavier group (sorted by weight)',
    candidates: [a1, b1],
    policy: {
      weights: [
        { match: { site: 'a' }, weight: 10 },
        { match: { site: 'b' }, weight: 90 },
      ],
    },
    random: [0.89],
    want: b1,
  },
  {
    name: 'weights: high random lands in the lighter group',
    candidates: [a1, b1],
    policy: {
      weights: [
        { match: { site: 'a' }, weight: 10 },
        { match: { site: 'b' }, weight: 90 },
      ],
    },
    random: [0.91],
    want: a1,
  },
  {
    name: 'weights: groups without an eligible instance do not count',
    candidates: [a1, b1],
    policy: {
      weights: [
        { match: { site: 'a' }, weight: 10 },
        { match: { site: 'b' }, weight: 90 },
      ],
    },
    unavailable: [b1],
    random: [0.01],
    want: a1,
  },
  {
    name: 'weights: unmatched instances share defaultWeight',
    candidates: [a1, b1],
    policy: { weights: [{ match: { site: 'a' }, weight: 1 }], defaultWeight: 3 },
    random: [0.5],
    want: b1,
  },
  {
    name: 'weight 0 only when no weighted group is available',
    candidates: [a1, b1],
    policy: { weights: [{ match: { site: 'a' }, weight: 0 }] },
    random: [0.99],
    want: b1,
  },
  {
    name: 'weight 0 group used when it is all there is',
    candidates: [a1, b1],
    policy: { weights: [{ match: { site: 'a' }, weight: 0 }] },
    unavailable: [b1],
    want: a1,
  },
  {
    name: 'fewest in flight inside the group',
    candidates: [a1, a2],
    inflight: [
      [a1, 3],
      [a2, 1],
    ],
    want: a2,
  },
  {
    name: 'in-flight ties broken by random (last)',
    candidates: [a1, a2, b1],
    inflight: [[b1, 5]],
    random: [0.99],
    want: a2,
  },
  {
    name: 'in-flight ties broken by random (first)',
    candidates: [a1, a2, b1],
    inflight: [[b1, 5]],
    random: [0],
    want: a1,
  },
  {
    name: 'weights before in-flight: the busy heavy group still wins',
    candidates: [a1, b1],
    policy: {
      weights: [
        { match: { site: 'a' }, weight: 100 },
        { match: { site: 'b' }, weight: 0 },
      ],
    },
    inflight: [[a1, 50]],
    want: a1,
  },
  { name: 'an edge may not reach another edge', candidates: [a1], caller: edge('b1'), want: undefined },
  {
    name: 'an edge reaches its own instance',
    candidates: [a1, b1],
    caller: edge('a1', 'z'),
    random: [0],
    want: a1,
  },
  { name: 'an edge reaches central instances', candidates: [a1, c1], caller: edge('b1'), want: c1 },
  {
    name: 'allowEdgeCallers names the caller',
    candidates: [a1],
    policy: { allowEdgeCallers: ['x', 'b1'] },
    caller: edge('b1'),
    want: a1,
  },
  {
    name: 'allowEdgeCallers "*"',
    candidates: [a1],
    policy: { allowEdgeCallers: ['*'] },
    caller: edge('q'),
    want: a1,
  },
  {
    name: 'allowEdgeCallers does not bypass the filter',
    candidates: [a1],
    policy: { allowEdgeCallers: ['*'], filter: { sites: ['b'] } },
    caller: edge('q'),
    want: undefined,
  },
];

describe('selectRoute', () => {
  it.each(cases)('$name', (c) => {
    const policy = ServicePolicySchema.parse(c.policy ?? {});
    expect(selectRoute(c.candidates, policy, ctxOf(c))).toEqual(c.want);
  });
});

describe('whyNoRoute', () => {
  const p = (input: ServicePolicyInput = {}) => ServicePolicySchema.parse(input);
  it.each([
    { name: 'no candidates', candidates: [], caller: central, policy: p(), want: 'unknown' },
    {
      name: 'only other edges',
      candidates: [a1, staleA],
      caller: edge('b1'),
      policy: p(),
      want: 'forbidden',
    },
    {
      name: 'filtered out',
      candidates: [a1],
      caller: central,
      policy: p({ filter: { sites: ['z'] } }),
      want: 'filtered',
    },
    { name: 'only stale', candidates: [staleA], caller: central, policy: p(), want: 'offline' },
    {
      name: 'stale own + forbidden others',
      candidates: [staleA, a1],
      caller: edge('s1'),
      policy: p(),
      want: 'offline',
    },
    { name: 'active but ejected', candidates: [a1], caller: central, policy: p(), want: 'unavailable' },
  ])('$name -> $want', ({ candidates, caller, policy, want }) => {
    expect(whyNoRoute(candidates, policy, caller)).toBe(want);
  });
});
