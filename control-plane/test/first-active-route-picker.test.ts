import { describe, expect, it } from 'vitest';
import {
  AgentOfflineError,
  CENTRAL,
  ForbiddenError,
  MemoryRouteTable,
  NoHealthyInstanceError,
  RouteNotFoundError,
  routeKey,
  type Route,
} from '@tether/shared';
import { FirstActiveRoutePicker } from '../src/calls/first-active-route-picker.js';
import type { CallerInfo } from '../src/calls/route-picker.js';

function route(o: Partial<Route>): Route {
  return {
    service: 'svc',
    address: 'http://127.0.0.1:1',
    origin: 'edge-1',
    originKind: 'edge',
    site: 's',
    labels: {},
    metric: 1,
    state: 'active',
    version: 1,
    ...o,
  };
}

function picker(routes: Route[]): FirstActiveRoutePicker {
  const table = new MemoryRouteTable();
  table.apply(routes);
  return new FirstActiveRoutePicker(table);
}

const central: CallerInfo = { kind: 'central', id: CENTRAL };
const edge2: CallerInfo = { kind: 'edge', id: 'edge-2' };
const none = new Set<string>();

describe('FirstActiveRoutePicker (the behaviour every picker keeps)', () => {
  it('throws RouteNotFoundError for an unknown service', () => {
    expect(() => picker([]).pick('svc', central, none)).toThrow(RouteNotFoundError);
  });

  it('refuses an edge caller another edge route with a ForbiddenError naming the policy', () => {
    expect(() => picker([route({})]).pick('svc', edge2, none)).toThrow(ForbiddenError);
    expect(() => picker([route({})]).pick('svc', edge2, none)).toThrow(/policy allowing the pair/);
  });

  it('gives an edge caller the central route when one exists', () => {
    const c = route({ origin: CENTRAL, originKind: 'central', address: 'http://c', metric: 9 });
    expect(picker([route({ metric: 0 }), c]).pick('svc', edge2, none)).toEqual(c);
  });

  it('picks the first active, not excluded route by metric', () => {
    const a = route({ address: 'http://a', metric: 1 });
    const b = route({ address: 'http://b', metric: 2 });
    const stale = route({ address: 'http://s', metric: 0, state: 'stale' });
    const p = picker([b, stale, a]);
    expect(p.pick('svc', central, none)).toEqual(a);
    expect(p.pick('svc', central, new Set([routeKey(a)]))).toEqual(b);
    expect(() => p.pick('svc', central, new Set([routeKey(a), routeKey(b), routeKey(stale)]))).toThrow(
      NoHealthyInstanceError,
    );
  });

  it('throws AgentOfflineError when only stale routes remain', () => {
    expect(() => picker([route({ state: 'stale' })]).pick('svc', central, none)).toThrow(AgentOfflineError);
  });
});
