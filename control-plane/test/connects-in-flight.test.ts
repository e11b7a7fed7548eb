import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConnectsInFlight, type InFlightLimit } from '../src/broker/connects-in-flight.js';
import { ManualClock } from './helpers.js';

/** A CONNECT as the test sees it: its answers (in order) and whether its connection is open. */
interface Probe {
  answers: boolean[];
  open: boolean;
  waiter: { open(): boolean; answer(admitted: boolean): void };
}

function probe(): Probe {
  const p: Probe = {
    answers: [],
    open: true,
    waiter: { open: () => p.open, answer: (a) => p.answers.push(a) },
  };
  return p;
}

const limit = (over: Partial<InFlightLimit> = {}): InFlightLimit => ({
  max: 2,
  timeoutMs: 1_000,
  maxWaiting: 2,
  waitMs: 500,
  ...over,
});

describe('ConnectsInFlight (fake clock)', () => {
  it('admits up to max at once, then CONNECTs wait and are admitted in arrival order as places free', () => {
    const clock = new ManualClock();
    const gate = new ConnectsInFlight(limit(), clock);
    const [a, b, c, d] = [probe(), probe(), probe(), probe()];
    gate.enter('a', undefined, a.waiter);
    gate.enter('b', undefined, b.waiter);
    gate.enter('c', undefined, c.waiter);
    gate.enter('d', undefined, d.waiter);
    expect([a.answers, b.answers, c.answers, d.answers]).toEqual([[true], [true], [], []]);
    expect([gate.size, gate.waiting]).toEqual([2, 2]);
    gate.done('b');
    expect([c.answers, d.answers]).toEqual([[true], []]);
    gate.done('a');
    expect(d.answers).toEqual([true]);
    expect([gate.size, gate.waiting]).toEqual([2, 0]);
  });

  it('refuses at once when the waiting room is full, and a wait that ran out', () => {
    const clock = new ManualClock();
    const gate = new ConnectsInFlight(limit({ max: 1, maxWaiting: 1 }), clock);
    const [a, b, c] = [probe(), probe(), probe()];
    gate.enter('a', undefined, a.waiter);
    gate.enter('b', undefined, b.waiter);
    gate.enter('c', undefined, c.waiter);
    expect([a.answers, b.answers, c.answers]).toEqual([[true], [], [false]]);
    clock.advance(499);
    gate.tick();
    expect(b.answers).toEqual([]);
    clock.advance(1);
    gate.tick();
    expect(b.answers).toEqual([false]);
    expect(gate.waiting).toBe(0);
  });

  it('frees a place when a connect expires; a closed waiting connection is dropped, not admitted', () => {
    const clock = new ManualClock();
    const gate = new ConnectsInFlight(limit({ max: 1, waitMs: 5_000 }), clock);
    const [a, gone, b] = [probe(), probe(), probe()];
    gate.enter('a', undefined, a.waiter);
    gate.enter('gone', undefined, gone.waiter);
    gate.enter('b', undefined, b.waiter);
    gone.open = false;
    clock.advance(999);
    gate.tick();
    expect(b.answers).toEqual([]);
    clock.advance(1);
    gate.tick();
    expect([gone.answers, b.answers]).toEqual([[], [true]]);
    expect([gate.size, gate.waiting]).toEqual([1, 0]);
  });

  it("an agent's newer CONNECT: admitted at once when it is in flight; takes its older wait's turn", () => {
    const gate = new ConnectsInFlight(limit({ max: 1 }), new ManualClock());
    const [older, newer] = [{}, {}];
    const [a1, a2, b1, c, b2] = [probe(), probe(), probe(), probe(), probe()];
    gate.enter('a', older, a1.waiter);
    gate.enter('a', newer, a2.waiter);
    expect([a1.answers, a2.answers, gate.size]).toEqual([[true], [true], 1]);
    gate.done('a', older);
    expect(gate.size).toBe(1);
    gate.enter('b', older, b1.waiter);
    gate.enter('c', undefined, c.waiter);
    gate.enter('b', newer, b2.waiter);
    expect([b1.answers, b2.answers, gate.waiting]).toEqual([[false], [], 2]);
    gate.done('a', newer);
    expect([b2.answers, c.answers]).toEqual([[true], []]);
    // The close of b's older connection neither ends b's connect nor a wait.
    gate.done('b', older);
    expect([gate.size, gate.waiting]).toEqual([1, 1]);
    gate.done('c', {});
    expect(gate.waiting).toBe(1);
  });

  it('never holds more than max, answers each CONNECT at most once, leaves no place idle while one waits', () => {
    type Op = { type: 'enter' | 'done' | 'close'; agent: number } | { type: 'wait'; ms: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({
        type: fc.constantFrom('enter' as const, 'done' as const, 'close' as const),
        agent: fc.nat(7),
      }),
      fc.record({ type: fc.constant('wait' as const), ms: fc.nat(400) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 3 }),
        fc.array(op, { minLength: 10, maxLength: 80, size: 'max' }),
        (max, maxWaiting, ops) => {
          const clock = new ManualClock();
          const lim = limit({ max, maxWaiting, timeoutMs: 1_000, waitMs: 500 });
          const gate = new ConnectsInFlight(lim, clock);
          const entered: { p: Probe; at: number }[] = [];
          const latest = new Map<number, Probe>();
          for (const o of ops) {
            switch (o.type) {
              case 'wait':
                clock.advance(o.ms);
                gate.tick();
                break;
              case 'close': {
                const p = latest.get(o.agent);
                if (p) p.open = false;
                break;
              }
              case 'done':
                gate.done(`a${o.agent}`);
                break;
              case 'enter': {
                const p = probe();
                entered.push({ p, at: clock.now() });
                latest.set(o.agent, p);
                gate.enter(`a${o.agent}`, p, p.waiter);
                break;
              }
            }
            expect(gate.size).toBeLessThanOrEqual(max);
            expect(gate.waiting).toBeLessThanOrEqual(maxWaiting);
            const unanswered = entered.filter(({ p }) => p.open && p.answers.length === 0);
            // Nobody open waits past waitMs, and nobody waits while a place is free.
            for (const { at } of unanswered) expect(clock.now() - at).toBeLessThan(lim.waitMs);
            if (gate.size < max) expect(unanswered).toEqual([]);
            expect(unanswered.length).toBeLessThanOrEqual(gate.waiting);
          }
          for (const { p } of entered) expect(p.answers.length).toBeLessThanOrEqual(1);
        },
      ),
    );
  });
});
