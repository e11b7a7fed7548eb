import { describe, expect, it } from 'vitest';
import {
  acceptAdvert,
  CENTRAL,
  centralRoute,
  isVisibleTo,
  routesForEdge,
  type EdgeIdentity,
  type Visibility,
} from '@tether/shared';
import { route } from './fixtures.js';

describe('acceptAdvert', () => {
  it('keeps only routes whose origin is the sender, normalised to edge/active', () => {
    const mine = route({ origin: 'e1', originKind: 'local', state: 'stale', staleSince: 42 });
    const forgedOther = route({ origin: 'e2', originKind: 'local', address: 'http://x' });
    const forgedCentral = route({ origin: CENTRAL, originKind: 'central', address: 'http://y' });
    const claimsCentralKind = route({ origin: 'e1', originKind: 'central', address: 'http://z' });
    const { accepted, rejected } = acceptAdvert('e1', [mine, forgedOther, forgedCentral, claimsCentralKind]);
    expect(rejected).toEqual([forgedOther, forgedCentral]);
    expect(accepted).toEqual([
      { ...route({ origin: 'e1', originKind: 'edge', state: 'active' }) },
      { ...claimsCentralKind, originKind: 'edge', state: 'active' },
    ]);
    expect(accepted[0]).not.toHaveProperty('staleSince');
  });

  it.each([
    { sender: 'e1', origin: 'e1x', accepted: 0 },
    { sender: 'e1', origin: 'E1', accepted: 0 },
    { sender: 'e1', origin: 'e', accepted: 0 },
    { sender: 'e1', origin: 'e1', accepted: 1 },
  ])('sender $sender, origin $origin -> $accepted accepted', ({ sender, origin, accepted }) => {
    const result = acceptAdvert(sender, [route({ origin })]);
    expect(result.accepted).toHaveLength(accepted);
    expect(result.rejected).toHaveLength(1 - accepted);
  });

  it('does not mutate its input', () => {
    const input = route({ origin: 'e1', originKind: 'local', state: 'stale', staleSince: 1 });
    const copy = structuredClone(input);
    acceptAdvert('e1', [input]);
    expect(input).toEqual(copy);
  });
});

describe('isVisibleTo', () => {
  const edge: EdgeIdentity = { id: 'e1', site: 's', labels: { env: 'prod', zone: 'eu' } };
  it.each<{ name: string; rule: Visibility | undefined; visible: boolean }>([
    { name: 'no rule', rule: undefined, visible: true },
    { name: 'empty rule', rule: {}, visible: true },
    { name: 'one matching label', rule: { labels: { env: 'prod' } }, visible: true },
    { name: 'all labels match', rule: { labels: { env: 'prod', zone: 'eu' } }, visible: true },
    { name: 'one label differs', rule: { labels: { env: 'prod', zone: 'us' } }, visible: false },
    { name: 'label missing on edge', rule: { labels: { tier: 'gold' } }, visible: false },
    { name: 'agents includes id', rule: { agents: ['e0', 'e1'] }, visible: true },
    { name: 'agents excludes id', rule: { agents: ['e2'] }, visible: false },
    { name: 'agents prefix is no match', rule: { agents: ['e'] }, visible: false },
    { name: 'empty agents list', rule: { agents: [] }, visible: false },
    { name: 'agents ok, labels not', rule: { agents: ['e1'], labels: { env: 'dev' } }, visible: false },
    { name: 'labels ok, agents not', rule: { agents: ['e2'], labels: { env: 'prod' } }, visible: false },
    { name: 'both match', rule: { agents: ['e1'], labels: { zone: 'eu' } }, visible: true },
    { name: 'inherited property name', rule: { labels: { toString: 'x' } }, visible: false },
  ])('$name -> $visible', ({ rule, visible }) => {
    expect(isVisibleTo(rule, edge)).toBe(visible);
  });
});

describe('routesForEdge', () => {
  const edge: EdgeIdentity = { id: 'e1', site: 's', labels: { env: 'prod' } };
  const central = (service: string) =>
    centralRoute({ name: service, url: `https://hub/${service}`, labels: {}, metric: 1 }, 'hub', 3);
  const pub = central('public');
  const prodOnly = central('prod-only');
  const devOnly = central('dev-only');
  const forE2 = central('for-e2');
  const undeclared = central('undeclared');
  const edgeRoute = route({ service: 'public', origin: 'e2', originKind: 'edge' });
  const ownEdgeRoute = route({ service: 'public', origin: 'e1', originKind: 'edge', address: 'http://own' });
  const centralOriginWrongKind = route({
    service: 'public',
    origin: CENTRAL,
    originKind: 'edge',
    address: 'http://w',
  });
  const centralKindWrongOrigin = route({
    service: 'public',
    origin: 'e2',
    originKind: 'central',
    address: 'http://v',
  });
  const visibility = new Map<string, Visibility | undefined>([
    ['public', undefined],
    ['prod-only', { labels: { env: 'prod' } }],
    ['dev-only', { labels: { env: 'dev' } }],
    ['for-e2', { agents: ['e2'] }],
  ]);
  const all = [
    pub,
    prodOnly,
    devOnly,
    forE2,
    undeclared,
    edgeRoute,
    ownEdgeRoute,
    centralOriginWrongKind,
    centralKindWrongOrigin,
  ];

  it('returns only the visible central routes of declared services', () => {
    expect(routesForEdge(all, edge, visibility)).toEqual([pub, prodOnly]);
  });

  it('another edge sees its own selection', () => {
    const e2: EdgeIdentity = { id: 'e2', site: 's', labels: { env: 'dev' } };
    expect(routesForEdge(all, e2, visibility)).toEqual([pub, devOnly, forE2]);
  });

  it('never returns an edge-originated route, even for a service visible to all', () => {
    const view = routesForEdge(all, edge, visibility);
    expect(view.some((r) => r.origin !== CENTRAL || r.originKind !== 'central')).toBe(false);
  });

  it('centralRoute builds an active central route', () => {
    expect(pub).toEqual({
      service: 'public',
      address: 'https://hub/public',
      origin: CENTRAL,
      originKind: 'central',
      site: 'hub',
      labels: {},
      metric: 1,
      state: 'active',
      version: 3,
    });
  });
});
