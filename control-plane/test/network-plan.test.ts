import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ServicePolicySchema, ValidationError, type CentralService } from '@tether/shared';
import { describeChange, summarize } from '../src/network/network-diff.js';
import { formatNetworkFile, parseNetworkFile, type NetworkFile } from '../src/network/network-file.js';
import { applyToState, planNetwork } from '../src/network/network-plan.js';
import type { NetworkState } from '../src/network/network-state.js';

const service = (name: string, url = `http://10.0.0.1/${name}`, extra: Partial<CentralService> = {}) => ({
  name,
  url,
  labels: {},
  metric: 1,
  ...extra,
});
const policy = (input: object = {}) => ServicePolicySchema.parse(input);
const admin = { name: 'bootstrap-admin', role: 'admin' as const };

const current: NetworkState = {
  services: [service('billing'), service('legacy', undefined, { labels: { tier: 'gold', zone: 'a' } })],
  policies: { orders: policy({ localFirst: false }) },
  tokens: [admin, { name: 'ci', role: 'viewer' }],
};

describe('planNetwork', () => {
  it.each<[string, NetworkFile, boolean, string[]]>([
    ['an identical file: nothing', { services: current.services, tokens: current.tokens }, true, []],
    [
      'labels in another order are the same labels',
      {
        services: [service('legacy', undefined, { labels: { zone: 'a', tier: 'gold' } }), service('billing')],
      },
      false,
      [],
    ],
    [
      'a new service, a changed one; without prune the rest stays',
      { services: [service('billing', 'http://10.0.0.2/billing'), service('stock')] },
      false,
      [
        '~ service billing: url: "http://10.0.0.1/billing" -> "http://10.0.0.2/billing"',
        '+ service stock: url http://10.0.0.1/stock',
      ],
    ],
    [
      'with prune, what a managed section does not name goes',
      { services: [service('billing')], policies: {} },
      true,
      ['- service legacy', '- policy orders (back to the defaults)'],
    ],
    [
      'an unmanaged section (tokens left out) is untouched even with prune',
      { services: current.services },
      true,
      [],
    ],
    [
      'policies compare with defaults applied; a token changes role in place',
      {
        policies: {
          orders: policy({ localFirst: false, defaultWeight: 1 }),
          stock: policy({ tiers: [{ match: { site: 'b' }, priority: 5 }] }),
        },
        tokens: [admin, { name: 'ci', role: 'caller' }, { name: 'grafana', role: 'viewer' }],
      },
      false,
      [
        '+ policy stock: tiers [{"match":{"site":"b"},"priority":5}]',
        '~ token ci: role viewer -> caller',
        '+ token grafana (viewer)',
      ],
    ],
  ])('%s', (_name, desired, prune, lines) => {
    expect(planNetwork(current, desired, { prune }).map(describeChange)).toEqual(lines);
  });

  it('refuses a plan that leaves tokens but no admin among them', () => {
    expect(() => planNetwork(current, { tokens: [{ name: 'ci', role: 'viewer' }] }, { prune: true })).toThrow(
      ValidationError,
    );
    // Without prune the admin stays: fine.
    expect(planNetwork(current, { tokens: [{ name: 'ci', role: 'viewer' }] }, { prune: false })).toEqual([]);
  });

  it('summarizes the counts', () => {
    const changes = planNetwork(current, { services: [service('stock')], tokens: [admin] }, { prune: true });
    expect(summarize(changes)).toBe('1 to add, 0 to change, 3 to remove');
  });
});

const name = fc.constantFrom<string>('a', 'b', 'c', 'd');
const serviceArb = fc.record({
  name,
  url: fc.constantFrom<string>('http://10.0.0.1/', 'http://10.0.0.2:8080/'),
  labels: fc.constantFrom<Record<string, string>>(
    {},
    { tier: 'gold' },
    { a: '1', b: '2' },
    { b: '2', a: '1' },
  ),
  metric: fc.constantFrom<number>(1, 7),
});
const policyArb = fc
  .record({ localFirst: fc.boolean(), defaultWeight: fc.constantFrom(0, 1, 3) }, { requiredKeys: [] })
  .map((p) => ServicePolicySchema.parse(p));
const tokenArb = fc.record({
  name,
  role: fc.constantFrom('admin' as const, 'viewer' as const, 'caller' as const),
});
const uniq = <T extends { name: string }>(items: T[]): T[] =>
  [...new Map(items.map((i) => [i.name, i])).values()].sort((x, y) => (x.name < y.name ? -1 : 1));
const withAdmin = (tokens: { name: string; role: 'admin' | 'viewer' | 'caller' }[]) =>
  uniq([...tokens.filter((t) => t.name !== 'root'), { name: 'root', role: 'admin' as const }]);
const stateArb: fc.Arbitrary<NetworkState> = fc.record({
  services: fc.array(serviceArb).map(uniq),
  policies: fc.dictionary(name, policyArb),
  tokens: fc.array(tokenArb).map(withAdmin),
});

describe('planNetwork (properties)', () => {
  it('with prune, applying the plan gives exactly the file; planning again gives nothing', () => {
    fc.assert(
      fc.property(stateArb, stateArb, (now, wanted) => {
        const after = applyToState(now, planNetwork(now, wanted, { prune: true }));
        expect(after).toEqual(applyToState(wanted, []));
        expect(planNetwork(after, wanted, { prune: true })).toEqual([]);
      }),
    );
  });

  it('without prune, nothing is removed and every named thing is as the file says', () => {
    fc.assert(
      fc.property(stateArb, stateArb, (now, wanted) => {
        const changes = planNetwork(now, wanted, { prune: false });
        expect(changes.filter((c) => c.type.endsWith('-delete'))).toEqual([]);
        const after = applyToState(now, changes);
        for (const s of wanted.services) expect(after.services).toContainEqual(s);
        for (const s of now.services) expect(after.services.map((x) => x.name)).toContain(s.name);
      }),
    );
  });

  it('export then apply of the exported file plans nothing (the format round-trips)', () => {
    fc.assert(
      fc.property(stateArb, (state) => {
        const file = parseNetworkFile(formatNetworkFile(state, new Date(0)), 'export');
        expect(planNetwork(state, file, { prune: true })).toEqual([]);
      }),
    );
  });
});

describe('parseNetworkFile', () => {
  it.each([
    [
      'services:\n  - name: a\n    url: http://x/\n    lables: {}\n',
      /services\.0: unrecognized key "lables"/,
    ],
    [
      'tokens:\n  - {name: a, role: admin}\n  - {name: a, role: viewer}\n',
      /tokens\.1\.name: token "a" appears twice/,
    ],
    ['version: 2\n', /version/],
    ['services: [oops\n', /not valid YAML/],
  ])('refuses %j naming what is wrong', (text, message) => {
    expect(() => parseNetworkFile(text, 'network.yaml')).toThrow(message);
  });
});
