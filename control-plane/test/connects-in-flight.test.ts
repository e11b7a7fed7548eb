import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConnectsInFlight } from '../src/broker/connects-in-flight.js';
import { ManualClock } from './helpers.js';

describe('ConnectsInFlight (fake clock)', () => {
  it('admits up to max, frees a place when a connect is answered or expires', () => {
    const clock = new ManualClock();
    const gate = new ConnectsInFlight({ max: 2, timeoutMs: 1_000 }, clock);
    expect(gate.tryEnter('a')).toBe(true);
    expect(gate.tryEnter('b')).toBe(true);
    expect(gate.tryEnter('c')).toBe(false);
    // The same agent reconnecting takes no second place.
    expect(gate.tryEnter('a')).toBe(true);
    expect(gate.size).toBe(2);
    gate.done('b');
    expect(gate.tryEnter('c')).toBe(true);
    expect(gate.tryEnter('d')).toBe(false);
    clock.advance(999);
    expect(gate.tryEnter('d')).toBe(false);
    clock.advance(1);
    // 'a' (re-entered at 0) and 'c' (at 0) expired together.
    expect(gate.size).toBe(0);
    expect(gate.tryEnter('d')).toBe(true);
    gate.done('unknown');
    expect(gate.size).toBe(1);
  });

  it("an older connection's close does not end the connect of the agent's newer one", () => {
    const gate = new ConnectsInFlight({ max: 1, timeoutMs: 1_000 }, new ManualClock());
    const [older, newer] = [{}, {}];
    expect(gate.tryEnter('a', older)).toBe(true);
    expect(gate.tryEnter('a', newer)).toBe(true);
    gate.done('a', older);
    expect(gate.size).toBe(1);
    gate.done('a', newer);
    expect(gate.size).toBe(0);
    expect(gate.tryEnter('a', older)).toBe(true);
    gate.done('a');
    expect(gate.size).toBe(0);
  });

  it('never counts more than max, and matches a plain model of who is in flight', () => {
    type Op = { type: 'enter' | 'done'; agent: number } | { type: 'wait'; ms: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ type: fc.constantFrom('enter' as const, 'done' as const), agent: fc.nat(9) }),
      fc.record({ type: fc.constant('wait' as const), ms: fc.nat(600) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(op, { maxLength: 60 }), (max, ops) => {
        const clock = new ManualClock();
        const timeoutMs = 1_000;
        const gate = new ConnectsInFlight({ max, timeoutMs }, clock);
        const model = new Map<string, number>();
        for (const o of ops) {
          for (const [id, at] of model) if (at + timeoutMs <= clock.now()) model.delete(id);
          switch (o.type) {
            case 'wait':
              clock.advance(o.ms);
              break;
            case 'done':
              gate.done(`a${o.agent}`);
              model.delete(`a${o.agent}`);
              break;
            case 'enter': {
              const id = `a${o.agent}`;
              const expected = model.has(id) || model.size < max;
              expect(gate.tryEnter(id)).toBe(expected);
              if (expected) model.set(id, clock.now());
              break;
            }
          }
          for (const [id, at] of model) if (at + timeoutMs <= clock.now()) model.delete(id);
          expect(gate.size).toBe(model.size);
          expect(gate.size).toBeLessThanOrEqual(max);
        }
      }),
    );
  });
});
