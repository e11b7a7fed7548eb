import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  isHubToAgentFilter,
  advertTopic,
  agentIdFromTopic,
  agentMayPublish,
  agentMaySubscribe,
  agentNamespace,
  AgentIdSchema,
  credentialsTopic,
  HUB_SUBSCRIPTIONS,
  inboxTopic,
  reportsAckTopic,
  reportsTopic,
  statusTopic,
  tunnelDownTopic,
  tunnelUpTopic,
  upgradesTopic,
} from '@tether/shared';
import { agentIdArb } from './fixtures.js';

const A = 'edge-a';
const B = 'edge-b';

describe('topics', () => {
  it('builds the documented topics', () => {
    expect(agentNamespace(A)).toBe('tether/v1/agents/edge-a');
    expect(advertTopic(A)).toBe('tether/v1/agents/edge-a/advert');
    expect(statusTopic(A)).toBe('tether/v1/agents/edge-a/status');
    expect(inboxTopic(A)).toBe('tether/v1/agents/edge-a/inbox');
    expect(tunnelUpTopic(A)).toBe('tether/v1/agents/edge-a/tunnel-up');
    expect(tunnelDownTopic(A)).toBe('tether/v1/agents/edge-a/tunnel-down');
    expect(reportsTopic(A)).toBe('tether/v1/agents/edge-a/reports');
    expect(reportsAckTopic(A)).toBe('tether/v1/agents/edge-a/reports-ack');
    expect(credentialsTopic(A)).toBe('tether/v1/agents/edge-a/credentials');
    expect(upgradesTopic(A)).toBe('tether/v1/agents/edge-a/upgrades');
    expect(HUB_SUBSCRIPTIONS).toEqual({
      adverts: 'tether/v1/agents/+/advert',
      statuses: 'tether/v1/agents/+/status',
      tunnels: 'tether/v1/agents/+/tunnel-up',
      reports: 'tether/v1/agents/+/reports',
      credentials: 'tether/v1/agents/+/credentials',
      upgrades: 'tether/v1/agents/+/upgrades',
    });
  });

  it('property: agentIdFromTopic round trips every agent topic', () => {
    fc.assert(
      fc.property(
        agentIdArb,
        fc.constantFrom(
          advertTopic,
          statusTopic,
          inboxTopic,
          tunnelUpTopic,
          tunnelDownTopic,
          reportsTopic,
          reportsAckTopic,
          credentialsTopic,
          upgradesTopic,
        ),
        (id, topic) => {
          expect(agentIdFromTopic(topic(id))).toBe(id);
        },
      ),
    );
  });

  it.each([
    'tether/v1/agents',
    'tether/v1/agents/',
    'tether/v1/agents//advert',
    'tether/v1/agents/a/advert/extra',
    'tether/v2/agents/a/advert',
    'tether/v1/agent/a/advert',
    'xtether/v1/agents/a/advert',
    '/tether/v1/agents/a/advert',
    'tether/v1/agents/a/unknown',
    'tether/v1/agents/+/advert',
    'tether/v1/agents/#/advert',
    'tether/v1/agents/central/advert',
    '$SYS/broker/clients',
    '',
  ])('agentIdFromTopic(%j) is undefined', (topic) => {
    expect(agentIdFromTopic(topic)).toBeUndefined();
  });
});

describe('ACL', () => {
  it.each([
    [advertTopic(A), true],
    [statusTopic(A), true],
    [credentialsTopic(A), true],
    [credentialsTopic(B), false],
    [upgradesTopic(A), true],
    [upgradesTopic(B), false],
    [inboxTopic(A), false],
    [advertTopic(B), false],
    [statusTopic(B), false],
    [`${advertTopic(A)}/`, false],
    [`${advertTopic(A)}/x`, false],
    [`/${advertTopic(A)}`, false],
    [advertTopic(`${A}x`), false],
    [advertTopic('edge'), false],
    [`${agentNamespace(A)}/+`, false],
    [`${agentNamespace(A)}/#`, false],
    [HUB_SUBSCRIPTIONS.adverts, false],
    ['#', false],
    ['$SYS/broker/uptime', false],
    [advertTopic('central'), false],
    [advertTopic(A).toUpperCase(), false],
    [tunnelUpTopic(A, 'replica-1'), true],
    [tunnelUpTopic(A, '+'), false],
    [tunnelUpTopic(A, '#'), false],
    [`${tunnelUpTopic(A, 'replica-1')}/x`, false],
    [tunnelUpTopic(B, 'replica-1'), false],
    [tunnelDownTopic(A, 'replica-1'), false],
  ])('agent %s may publish to %j: %s', (topic, allowed) => {
    expect(agentMayPublish(A, topic)).toBe(allowed);
  });

  it.each([
    [tunnelDownTopic(A, '+'), true],
    [tunnelDownTopic(A, '#'), false],
    [tunnelDownTopic(B, '+'), false],
    [`${tunnelDownTopic(A, '+')}/+`, false],
    [tunnelUpTopic(A, '+'), false],
    [inboxTopic(A), true],
    [advertTopic(A), false],
    [statusTopic(A), false],
    [credentialsTopic(A), false],
    [inboxTopic(B), false],
    ['tether/v1/agents/+/inbox', false],
    [`${agentNamespace(A)}/#`, false],
    [`${agentNamespace(A)}/+`, false],
    ['tether/v1/#', false],
    ['#', false],
    ['+/+/+/+/+', false],
    ['$SYS/#', false],
    [`${inboxTopic(A)}/#`, false],
    [`${inboxTopic(A)} `, false],
    [inboxTopic('central'), false],
  ])('agent may subscribe to %j: %s', (filter, allowed) => {
    expect(agentMaySubscribe(A, filter)).toBe(allowed);
  });

  it.each(['+', '#', 'central', 'a/b', '', 'a+', '$SYS', '-x'])(
    'an agent with the invalid id %j may neither publish nor subscribe to its own topics',
    (id) => {
      expect(agentMayPublish(id, advertTopic(id))).toBe(false);
      expect(agentMayPublish(id, statusTopic(id))).toBe(false);
      expect(agentMaySubscribe(id, inboxTopic(id))).toBe(false);
    },
  );

  const segment = (self: string, other: string) =>
    fc.constantFrom(
      'tether',
      'v1',
      'agents',
      'advert',
      'status',
      'inbox',
      'credentials',
      'tunnel-up',
      'tunnel-down',
      '+',
      '#',
      '$SYS',
      '',
      'central',
      self,
      other,
      `${self}x`,
      `x${self}`,
      `${self}/advert`,
    );
  const topicArb = fc
    .tuple(agentIdArb, agentIdArb)
    .filter(([self, other]) => self !== other)
    .chain(([self, other]) =>
      fc.tuple(
        fc.constant(self),
        fc.constant(other),
        fc.array(segment(self, other), { minLength: 1, maxLength: 7 }).map((s) => s.join('/')),
      ),
    );

  it("property: random topics only pass for the agent's own exact topics", () => {
    fc.assert(
      fc.property(topicArb, ([self, other, topic]) => {
        const publishable = [advertTopic, statusTopic, tunnelUpTopic, reportsTopic, credentialsTopic].map(
          (t) => t(self),
        );
        const subscribable = [inboxTopic, tunnelDownTopic, reportsAckTopic].map((t) => t(self));
        subscribable.push(tunnelDownTopic(self, '+'));
        // Per-replica tunnel-up topics: the agent's own, with a valid replica id as the last level.
        const perReplica = topic.startsWith(`${tunnelUpTopic(self)}/`) && agentIdFromTopic(topic) === self;
        if (agentMayPublish(self, topic) && !perReplica) expect(publishable).toContain(topic);
        if (agentMaySubscribe(self, topic)) expect(subscribable).toContain(topic);
        // The two directions never overlap: an agent cannot publish what the hub sends it.
        for (const t of subscribable) expect(agentMayPublish(self, t)).toBe(false);
        expect(agentMayPublish(self, advertTopic(other))).toBe(false);
        expect(agentMaySubscribe(self, inboxTopic(other))).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('property: whatever the (claimed) agent id, nothing with a wildcard, $SYS or another id passes', () => {
    const idArb = fc.oneof(
      agentIdArb,
      fc.constantFrom('+', '#', '$SYS', 'central', 'a/b', 'a/+', ''),
      fc.string({ maxLength: 6 }),
    );
    const seg = fc.oneof(
      idArb,
      fc.constantFrom(
        'tether',
        'v1',
        'agents',
        'advert',
        'status',
        'inbox',
        'tunnel-up',
        'tunnel-down',
        'reports',
        '+',
        '#',
      ),
    );
    fc.assert(
      fc.property(idArb, fc.array(seg, { minLength: 1, maxLength: 6 }), (id, parts) => {
        for (const topic of [parts.join('/'), advertTopic(id), statusTopic(id), inboxTopic(id)]) {
          if (agentMayPublish(id, topic) || agentMaySubscribe(id, topic)) {
            expect(AgentIdSchema.safeParse(id).success).toBe(true);
            if (topic === tunnelDownTopic(id, '+')) continue; // the one wildcard filter, in its own namespace
            expect(topic).not.toMatch(/[+#]|^\$/);
            expect(agentIdFromTopic(topic)).toBe(id);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('isHubToAgentFilter: true for the inbox filter, never for a topic agents publish or a wildcard', () => {
    fc.assert(
      fc.property(agentIdArb, (id) => {
        expect(isHubToAgentFilter(inboxTopic(id))).toBe(true);
        for (const topic of [
          statusTopic(id),
          advertTopic(id),
          `${inboxTopic(id)}/#`,
          'tether/v1/agents/+/inbox',
        ])
          expect(isHubToAgentFilter(topic)).toBe(false);
      }),
    );
  });
});
