import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeliveryProgress } from '../src/agents/upgrades/delivery-progress.js';
import { ManualClock } from './helpers.js';

describe('DeliveryProgress', () => {
  it('remembers fetched bytes and when each agent was last heard from, by the injected clock', () => {
    const clock = new ManualClock();
    const progress = new DeliveryProgress(clock);
    progress.heard('up-1', 'a');
    expect(progress.heardAt('up-1', 'a')).toBe(clock.now());
    expect(progress.fetchedBytes('up-1', 'a')).toBe(0);
    clock.advance(5_000);
    progress.fetched('up-1', 'a', 131_072);
    expect(progress.fetchedBytes('up-1', 'a')).toBe(131_072);
    expect(progress.heardAt('up-1', 'a')).toBe(clock.now());
    expect(progress.heardAt('up-1', 'b')).toBeUndefined();
  });

  it("forgets an agent when its target ends, and a rollout's agents when it ends but for those still sending", () => {
    const progress = new DeliveryProgress(new ManualClock());
    for (const agent of ['a', 'b', 'c']) progress.fetched('up-1', agent, 10);
    progress.fetched('up-2', 'a', 20);
    progress.targetEnded('up-1', 'a');
    expect(progress.fetchedBytes('up-1', 'a')).toBe(0);
    expect(progress.fetchedBytes('up-2', 'a')).toBe(20);
    progress.rolloutEnded('up-1', ['c']);
    expect(progress.heardAt('up-1', 'b')).toBeUndefined();
    expect(progress.fetchedBytes('up-1', 'c')).toBe(10);
    progress.targetEnded('up-1', 'c');
    progress.rolloutEnded('up-2');
    expect(progress.size).toBe(0);
  });

  it('holds only the agents in flight, whatever the order of offers, chunks and ends', () => {
    const event = fc.oneof(
      fc.record({
        kind: fc.constantFrom('heard', 'fetched', 'target-ended' as const),
        rollout: fc.nat(3),
        agent: fc.nat(5),
      }),
      fc.record({ kind: fc.constant('rollout-ended' as const), rollout: fc.nat(3), agent: fc.constant(0) }),
    );
    fc.assert(
      fc.property(fc.array(event, { maxLength: 60 }), (events) => {
        const progress = new DeliveryProgress(new ManualClock());
        const inFlight = new Set<string>();
        for (const e of events) {
          const [r, a] = [`up-${e.rollout}`, `a${e.agent}`];
          switch (e.kind) {
            case 'heard':
              progress.heard(r, a);
              inFlight.add(`${r}/${a}`);
              break;
            case 'fetched':
              progress.fetched(r, a, 1);
              inFlight.add(`${r}/${a}`);
              break;
            case 'target-ended':
              progress.targetEnded(r, a);
              inFlight.delete(`${r}/${a}`);
              break;
            case 'rollout-ended':
              progress.rolloutEnded(r);
              for (const key of [...inFlight]) if (key.startsWith(`${r}/`)) inFlight.delete(key);
              break;
          }
        }
        expect(progress.size).toBe(inFlight.size);
      }),
    );
  });
});
