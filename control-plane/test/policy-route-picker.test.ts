import { describe, expect, it } from 'vitest';
import {
  AgentOfflineError,
  ForbiddenError,
  HealthTracker,
  MemoryRouteTable,
  NoHealthyInstanceError,
  routeKey,
  RouteNotFoundError,
  ServicePolicySchema,
  type Route,
  type ServicePolicy,
  type ServicePolicyInput,
} from '@tether/shared';
import { errorStatus } from '@tether/shared';
import type { CallerInfo } from '../src/calls/route-picker.js';
import { PolicyRoutePicker } from '../src/policy/policy-route-picker.js';

function r(origin: string, site: string, overrides: Partial<Route> = {}): Route {
  return {
    service: 'orders',
    address: `http://${origin}`,
    origin,
    originKind: origin === 'central' ? 'central' : 'edge',
    site,
    labels: {},
    metric: 1,
    state: 'active',
    version: 1,
    ...overrides,
  };
}

const central: CallerInfo = { kind: 'central', id: 'central:gw' };
const none = new Set<string>();

function setup(routes: Route[], policy?: ServicePolicyInput) {
  const table = new MemoryRouteTable();
  table.apply(routes);
  let now = 1_000_000;
  const policies = new Map<string, ServicePolicy>();
  if (policy) policies.set('orders', ServicePolicySchema.parse(policy));
  const health = new HealthTracker();
  const picker = new PolicyRoutePicker({
    table,
    policyOf: (s) => policies.get(s),
    health,
    clock: { now: () => now },
    random: () => 0,
  });
  const fail = (route: Route, n = 1): void => {
    for (let i = 0; i < n; i++) picker.begin(routeKey(route))({ ok: false, kind: 'failure', latencyMs: 1 });
  };
  return { picker, health, fail, advance: (ms: number) => (now += ms), now: () => now };
}

describe('PolicyRoutePicker', () => {
  const primary = r('dc1', 'dc1');
  const standby = r('dc2', 'dc2');
  const tiers = { tiers: [{ match: { site: 'dc1' }, priority: 1 }] };

  it('unknown service -> RouteNotFoundError', () => {
    const { picker } = setup([primary]);
    expect(() => picker.pick('nope', central, none)).toThrow(RouteNotFoundError);
  });

  it('active/standby: the primary until it is ejected, then the standby, then the primary after a good trial', () => {
    const { picker, fail, advance } = setup([primary, standby], { ...tiers, ejection: { baseMs: 1000 } });
    expect(picker.pick('orders', central, none)).toEqual(primary);
    fail(primary, 2);
    expect(picker.pick('orders', central, none)).toEqual(primary);
    fail(primary);
    expect(picker.pick('orders', central, none)).toEqual(standby);
    advance(1000);
    expect(picker.pick('orders', central, none)).toEqual(primary); // half-open: the trial
    const end = picker.begin(routeKey(primary));
    expect(picker.pick('orders', central, none)).toEqual(standby); // the trial is in flight
    end({ ok: true, latencyMs: 5 });
    expect(picker.pick('orders', central, none)).toEqual(primary);
  });

  it('uses the service policy ejection settings', () => {
    const { picker, fail } = setup([primary, standby], { ...tiers, ejection: { consecutiveFailures: 1 } });
    fail(primary);
    expect(picker.pick('orders', central, none)).toEqual(standby);
  });

  it('an outcome callback counts once', () => {
    const { picker, health } = setup([primary]);
    const end = picker.begin(routeKey(primary));
    expect(health.inflight(routeKey(primary))).toBe(1);
    end({ ok: true, latencyMs: 3 });
    end({ ok: true, latencyMs: 3 });
    expect(health.snapshot(routeKey(primary), 0)).toMatchObject({ inflight: 0, successes: 1 });
  });

  it('retry exclusion: the other instance, then NoHealthyInstanceError', () => {
    const { picker } = setup([primary, standby], tiers);
    expect(picker.pick('orders', central, new Set([routeKey(primary)]))).toEqual(standby);
    expect(() => picker.pick('orders', central, new Set([primary, standby].map(routeKey)))).toThrow(
      NoHealthyInstanceError,
    );
  });

  it('every instance ejected -> NoHealthyInstanceError; only stale -> AgentOfflineError', () => {
    const { picker, fail } = setup([primary, r('dc3', 'dc3', { state: 'stale', staleSince: 1 })]);
    fail(primary, 3);
    expect(() => picker.pick('orders', central, none)).toThrow(NoHealthyInstanceError);
    const stale = setup([r('dc3', 'dc3', { state: 'stale', staleSince: 1 })]);
    expect(() => stale.picker.pick('orders', central, none)).toThrow(AgentOfflineError);
  });

  it('edge callers: forbidden from other edges unless allowed; central and own instances are fine', () => {
    const edge: CallerInfo = { kind: 'edge', id: 'dc9', site: 'dc9' };
    expect(() => setup([primary]).picker.pick('orders', edge, none)).toThrow(/allowEdgeCallers/);
    expect(() => setup([primary]).picker.pick('orders', edge, none)).toThrow(ForbiddenError);
    expect(setup([primary], { allowEdgeCallers: ['dc9'] }).picker.pick('orders', edge, none)).toEqual(
      primary,
    );
    const hub = r('central', 'hub', { originKind: 'central' });
    expect(setup([primary, hub]).picker.pick('orders', edge, none)).toEqual(hub);
    expect(setup([primary]).picker.pick('orders', { ...edge, id: 'dc1' }, none)).toEqual(primary);
  });

  it('the API maps its errors: 403 forbidden, 503 for nothing usable', () => {
    expect(errorStatus(new ForbiddenError('x'))).toBe(403);
    expect(errorStatus(new NoHealthyInstanceError())).toBe(503);
    expect(errorStatus(new AgentOfflineError())).toBe(503);
  });
  it('a cancelled call (the caller went away) is no failure: it never ejects and it frees a half-open trial', () => {
    const { picker, health, fail, advance, now } = setup([primary, standby], tiers);
    const key = routeKey(primary);
    for (let i = 0; i < 10; i++) picker.begin(key)({ ok: false, kind: 'cancelled', latencyMs: 1 });
    expect(health.snapshot(key, now())).toMatchObject({ health: 'healthy', failures: 0, inflight: 0 });

    fail(primary, 3);
    expect(picker.pick('orders', central, none).origin).toBe('dc2');
    advance(60_000); // past the ejection: half-open, one trial allowed
    const trial = picker.begin(key);
    expect(health.snapshot(key, now()).inflight).toBe(1);
    trial({ ok: false, kind: 'cancelled', latencyMs: 1 });
    // The trial slot is free again, so the primary can be tried once more rather than staying stuck.
    expect(picker.pick('orders', central, none).origin).toBe('dc1');
  });
});
