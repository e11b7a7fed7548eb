import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TARGET_STATES } from '../src/store/upgrade-store.js';
import { selectAgents, type SelectableAgent } from '../src/agents/upgrades/agent-selector.js';
import {
  overdueTargets,
  rolloutStep,
  silenceLimitMs,
  type PolicyTarget,
  type TargetState,
} from '../src/agents/upgrades/rollout-policy.js';

const rules = { canary: 1, maxFailures: 1, parallel: 2 };
const fleet = (...states: TargetState[]): PolicyTarget[] =>
  states.map((state, i) => ({ agentId: `a${i}`, state }));
const online = () => true;

describe('rolloutStep', () => {
  it.each([
    [
      'a new rollout starts the canary only',
      rules,
      fleet('pending', 'pending', 'pending'),
      online,
      { start: ['a0'], skip: [], state: 'running' },
    ],
    [
      'the canary in flight: nothing else starts',
      rules,
      fleet('sending', 'pending', 'pending'),
      online,
      { start: [], skip: [], state: 'running' },
    ],
    [
      'the canary upgraded: the rest go, `parallel` at a time',
      rules,
      fleet('upgraded', 'pending', 'pending', 'pending'),
      online,
      { start: ['a1', 'a2'], skip: [], state: 'running' },
    ],
    [
      'one slot free of two',
      rules,
      fleet('upgraded', 'sending', 'pending', 'pending'),
      online,
      { start: ['a2'], skip: [], state: 'running' },
    ],
    [
      'the canary rolled back: the rest are skipped, stopped',
      rules,
      fleet('rolled-back', 'pending', 'pending'),
      online,
      { start: [], skip: ['a1', 'a2'], state: 'stopped' },
    ],
    [
      'a refusal counts as a failure',
      rules,
      fleet('upgraded', 'refused', 'pending'),
      online,
      { start: [], skip: ['a2'], state: 'stopped' },
    ],
    [
      'stopping waits for the agents in flight',
      rules,
      fleet('upgraded', 'refused', 'sending', 'pending'),
      online,
      { start: [], skip: ['a3'], state: 'running' },
    ],
    [
      'under the failure limit it goes on',
      { ...rules, maxFailures: 2 },
      fleet('upgraded', 'refused', 'pending'),
      online,
      { start: ['a2'], skip: [], state: 'running' },
    ],
    [
      'two canaries: both first',
      { ...rules, canary: 2 },
      fleet('pending', 'pending', 'pending'),
      online,
      { start: ['a0', 'a1'], skip: [], state: 'running' },
    ],
    [
      'no canary: everyone, `parallel` at a time',
      { ...rules, canary: 0 },
      fleet('pending', 'pending', 'pending'),
      online,
      { start: ['a0', 'a1'], skip: [], state: 'running' },
    ],
    [
      'an offline agent waits for its connect',
      rules,
      fleet('pending', 'pending'),
      (id: string) => id !== 'a0',
      { start: [], skip: [], state: 'running' },
    ],
    [
      'a time-out counts as a failure',
      rules,
      fleet('timed-out', 'pending'),
      online,
      { start: [], skip: ['a1'], state: 'stopped' },
    ],
    [
      'a time-out finishes its agent',
      { ...rules, maxFailures: 2 },
      fleet('upgraded', 'timed-out'),
      online,
      { start: [], skip: [], state: 'done' },
    ],
    [
      'everyone finished: done',
      rules,
      fleet('upgraded', 'upgraded', 'skipped'),
      online,
      { start: [], skip: [], state: 'done' },
    ],
  ] as const)('%s', (_name, r, targets, isConnected, expected) => {
    expect(rolloutStep(r, targets, isConnected)).toMatchObject(expected);
  });

  it('property: never starts a non-canary before every canary upgraded, nor more than allowed, nor after the failure limit', () => {
    const state = fc.constantFrom<TargetState>(...TARGET_STATES);
    fc.assert(
      fc.property(
        fc.array(state, { minLength: 1, maxLength: 12 }),
        fc.nat(4),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 4 }),
        (states, canary, maxFailures, parallel) => {
          const targets = fleet(...states);
          const step = rolloutStep({ canary, maxFailures, parallel }, targets, online);
          const failures = states.filter(
            (s) => s === 'rolled-back' || s === 'refused' || s === 'timed-out',
          ).length;
          const sending = states.filter((s) => s === 'sending').length;
          for (const id of step.start) expect(targets.find((t) => t.agentId === id)?.state).toBe('pending');
          if (failures >= maxFailures) expect(step.start).toEqual([]);
          const canariesDone = targets.slice(0, canary).every((t) => t.state === 'upgraded');
          if (!canariesDone) for (const id of step.start) expect(Number(id.slice(1))).toBeLessThan(canary);
          expect(sending + step.start.length).toBeLessThanOrEqual(
            Math.max(sending, canariesDone ? parallel : canary),
          );
        },
      ),
    );
  });
});

describe('overdueTargets', () => {
  const heard: Record<string, number> = { a0: 1_000, a1: 1_000, a2: 9_000 };
  const lastHeard = (id: string) => heard[id] ?? 0;
  it.each([
    ['nobody past the limit', fleet('sending', 'sending', 'sending'), 5_000, []],
    ['exactly at the limit is not past it', fleet('sending', 'pending'), 5_000, []],
    ['the silent ones past the limit', fleet('sending', 'sending', 'sending'), 5_001, ['a0', 'a1']],
    ['only agents in flight', fleet('pending', 'upgraded', 'sending'), 20_000, ['a2']],
  ] as const)('%s', (_name, targets, now, expected) => {
    expect(overdueTargets(targets, lastHeard, now, 4_000)).toEqual(expected);
  });
  it('gives a new build its deadline twice over, and a grace', () => {
    expect(silenceLimitMs(1_000)).toBe(7_000);
    expect(silenceLimitMs(60_000)).toBe(125_000);
  });
});

describe('selectAgents', () => {
  const agents: SelectableAgent[] = [
    { id: 'b', site: 'berlin', labels: { tier: 'gold' }, revokedAt: null },
    { id: 'a', site: 'paris', labels: {}, revokedAt: null },
    { id: 'c', site: 'berlin', labels: {}, revokedAt: 5 },
  ];
  it.each([
    ['all', ['a', 'b']],
    ['', ['a', 'b']],
    ['a', ['a']],
    ['site=berlin', ['b']],
    ['tier=gold,a', ['a', 'b']],
  ])('"%s" selects %j (revoked agents never)', (selector, ids) => {
    expect(selectAgents(selector, agents).map((a) => a.id)).toEqual(ids);
  });
  it('names what to pass when nothing matches', () => {
    expect(() => selectAgents('nobody', agents)).toThrow(/no agent matches --agents "nobody"/);
  });
});
