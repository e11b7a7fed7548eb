import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  admitInstances,
  conflictingAgents,
  reconcileConflicts,
  routeKey,
  selectRoute,
  ServicePolicySchema,
  whyNoRoute,
  type Caller,
  type Route,
  type ServicePolicyInput,
} from '@tether/shared';
import { distinctRoutes, route, specRoute } from './fixtures.js';

const central = route({ origin: 'central', originKind: 'central', address: 'http://hub:9000' });
const edge = (origin: string, address = `http://${origin}:8080`): Route =>
  route({ origin, originKind: 'edge', address });
const policy = (input: ServicePolicyInput = {}) => ServicePolicySchema.parse(input);
const origins = (routes: readonly Route[]) => routes.map((r) => r.origin);

describe('admitInstances (table)', () => {
  it.each<[string, Route[], ServicePolicyInput, string[], string[]]>([
    ['edge-only service: every edge owns it', [edge('e1'), edge('e2')], {}, ['e1', 'e2'], []],
    [
      'central service, no policy: edges conflict',
      [central, edge('e1'), edge('e2')],
      {},
      ['central'],
      ['e1', 'e2'],
    ],
    [
      'central service admitting e1',
      [central, edge('e1'), edge('e2')],
      { allowEdgeInstances: ['e1'] },
      ['central', 'e1'],
      ['e2'],
    ],
    [
      'central service admitting every edge',
      [central, edge('e1'), edge('e2')],
      { allowEdgeInstances: ['*'] },
      ['central', 'e1', 'e2'],
      [],
    ],
    [
      'allowEdgeInstances is moot without a central definition',
      [edge('e1')],
      { allowEdgeInstances: ['e9'] },
      ['e1'],
      [],
    ],
    ['central alone', [central], {}, ['central'], []],
    ['stale edge routes conflict too', [central, { ...edge('e1'), state: 'stale' }], {}, ['central'], ['e1']],
    [
      'an edge calling itself "central" by originKind is not the hub',
      [route({ origin: 'e1', originKind: 'central' }), edge('e2')],
      {},
      ['e1', 'e2'],
      [],
    ],
    ['nothing', [], {}, [], []],
  ])('%s', (_what, routes, input, instances, conflicts) => {
    const admission = admitInstances(routes, policy(input));
    expect(origins(admission.instances)).toEqual(instances);
    expect(origins(admission.conflicts)).toEqual(conflicts);
  });

  it('conflictingAgents lists each agent once, sorted', () => {
    const routes = [central, edge('e2', 'http://a'), edge('e1'), edge('e2', 'http://b')];
    expect(conflictingAgents(routes, policy())).toEqual(['e1', 'e2']);
  });
});

describe('reconcileConflicts (table)', () => {
  it.each<[string, string[], Route[], ServicePolicyInput, { open: string[]; close: string[] }]>([
    ['a new conflict opens', [], [central, edge('e1')], {}, { open: ['e1'], close: [] }],
    [
      'a recorded conflict stays (reconnect, re-advert)',
      ['e1'],
      [central, edge('e1')],
      {},
      { open: [], close: [] },
    ],
    ['a withdrawn route keeps its record', ['e1'], [central], {}, { open: [], close: [] }],
    [
      'the policy admitting the agent closes it',
      ['e1'],
      [central, edge('e1')],
      { allowEdgeInstances: ['e1'] },
      { open: [], close: ['e1'] },
    ],
    [
      '"*" closes every record',
      ['e1', 'e2'],
      [central],
      { allowEdgeInstances: ['*'] },
      { open: [], close: ['e1', 'e2'] },
    ],
    ['the central definition gone closes it', ['e1'], [edge('e1')], {}, { open: [], close: ['e1'] }],
    ['opens one, keeps one', ['e1'], [central, edge('e1'), edge('e2')], {}, { open: ['e2'], close: [] }],
  ])('%s', (_what, recorded, routes, input, expected) => {
    expect(reconcileConflicts(recorded, routes, policy(input))).toEqual(expected);
  });
});

// Properties over generated routes of one service, policies and callers.
const originArb = fc.constantFrom('central', 'e1', 'e2', 'e3');
const routesArb = fc
  .array(fc.record({ origin: originArb, port: fc.integer({ min: 1, max: 3 }), stale: fc.boolean() }), {
    maxLength: 8,
  })
  .map((specs) => distinctRoutes(specs.map(specRoute)));
const policyArb = fc
  .record({
    allowEdgeInstances: fc.array(fc.constantFrom('e1', 'e2', '*'), { maxLength: 2 }),
    allowEdgeCallers: fc.array(fc.constantFrom('e1', 'e2', '*'), { maxLength: 2 }),
  })
  .map((p) => ServicePolicySchema.parse(p));
const callerArb: fc.Arbitrary<Caller> = fc.record({
  kind: fc.constantFrom('edge', 'central'),
  id: fc.constantFrom('e1', 'e2', 'e3', 'client'),
});
const recordedArb: fc.Arbitrary<string[]> = fc.uniqueArray(fc.constantFrom('e1', 'e2', 'e3'), {
  maxLength: 3,
});

describe('service ownership (properties)', () => {
  it('partitions the routes; central routes are always instances; no central route, no conflict', () => {
    fc.assert(
      fc.property(routesArb, policyArb, (routes, p) => {
        const { instances, conflicts } = admitInstances(routes, p);
        expect([...instances, ...conflicts].map(routeKey).sort()).toEqual(routes.map(routeKey).sort());
        expect(conflicts.some((r) => r.origin === 'central')).toBe(false);
        if (!routes.some((r) => r.origin === 'central')) expect(conflicts).toEqual([]);
        if (p.allowEdgeInstances.includes('*')) expect(conflicts).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it('selectRoute never picks a conflict, for any caller, central or edge (the advertising edge included)', () => {
    fc.assert(
      fc.property(routesArb, policyArb, callerArb, fc.nat(), (routes, p, caller, seed) => {
        const conflicts = new Set(admitInstances(routes, p).conflicts.map(routeKey));
        let n = seed;
        const ctx = {
          caller,
          exclude: new Set<string>(),
          isAvailable: () => true,
          inflight: () => 0,
          random: () => ((n = (n * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) % 1,
        };
        for (let i = 0; i < 5; i++) {
          const picked = selectRoute(routes, p, ctx);
          if (picked) expect(conflicts.has(routeKey(picked))).toBe(false);
        }
        if (routes.length > 0 && routes.every((r) => conflicts.has(routeKey(r))))
          expect(whyNoRoute(routes, p, caller)).toBe('unknown');
      }),
      { numRuns: 500 },
    );
  });

  it('reconciling converges: after applying its changes, a second pass changes nothing', () => {
    fc.assert(
      fc.property(recordedArb, routesArb, policyArb, (recorded, routes, p) => {
        const first = reconcileConflicts(recorded, routes, p);
        expect(first.open.filter((a) => recorded.includes(a))).toEqual([]);
        expect(first.close.every((a) => recorded.includes(a))).toBe(true);
        const after = [...recorded.filter((a) => !first.close.includes(a)), ...first.open];
        // Every current conflict is recorded, and nothing recorded is a conflict the policy admits.
        for (const agent of conflictingAgents(routes, p)) expect(after).toContain(agent);
        expect(reconcileConflicts(after, routes, p)).toEqual({ open: [], close: [] });
      }),
      { numRuns: 500 },
    );
  });

  it('a record outlives its route: withdrawing and advertising again opens nothing', () => {
    fc.assert(
      fc.property(routesArb, policyArb, (routes, p) => {
        const recorded = conflictingAgents(routes, p);
        const withdrawn = routes.filter((r) => r.origin === 'central');
        expect(reconcileConflicts(recorded, withdrawn, p)).toEqual({ open: [], close: [] });
        expect(reconcileConflicts(recorded, routes, p)).toEqual({ open: [], close: [] });
      }),
      { numRuns: 300 },
    );
  });
});
