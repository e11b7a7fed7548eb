import { describe, expect, it } from 'vitest';
import { ServicePolicySchema, whyNoRoute, type ServicePolicyInput } from '@tether/shared';
import { a1, at, b1, b2, c1, central, edge, selected, staleA, type Case } from './selection-cases.js';

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
    expect(selected(c)).toEqual(c.want);
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
