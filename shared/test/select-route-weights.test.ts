import { describe, expect, it } from 'vitest';
import { a1, a2, at, b1, selected, type Case } from './selection-cases.js';

/** Weighted groups, then fewest in flight, then random: how an instance is chosen among several eligible. */
const cases: Case[] = [
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
];

describe('selectRoute among eligible instances', () => {
  it.each(cases)('$name', (c) => {
    expect(selected(c)).toEqual(c.want);
  });
});
