import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { backoffDelay } from '@tether/shared';

const opts = { baseMs: 100, capMs: 5_000 };
const low = () => 0;
const high = () => 0.999999;
const mid = () => 0.5;

describe('backoffDelay', () => {
  it.each([
    // attempt, ceiling (before jitter): 100 * 2^attempt capped at 5000
    [0, 100],
    [1, 200],
    [2, 400],
    [5, 3_200],
    [6, 5_000],
    [50, 5_000],
    [10_000, 5_000],
  ])('attempt %i: ceiling %i, delay within [ceiling/2, ceiling]', (attempt, ceiling) => {
    expect(backoffDelay(attempt, opts, low)).toBe(ceiling / 2);
    expect(backoffDelay(attempt, opts, mid)).toBe(Math.round(ceiling * 0.75));
    expect(backoffDelay(attempt, opts, high)).toBe(ceiling);
  });

  it('a negative attempt counts as attempt 0', () => {
    expect(backoffDelay(-3, opts, low)).toBe(50);
  });

  it('honours a custom factor', () => {
    expect(backoffDelay(2, { baseMs: 100, capMs: 10_000, factor: 3 }, low)).toBe(450);
  });

  it('is deterministic for an injected random', () => {
    const seq = [0.1, 0.7, 0.3];
    const run = () => {
      let i = 0;
      const rnd = () => seq[i++ % seq.length]!;
      return [0, 1, 2, 3].map((a) => backoffDelay(a, opts, rnd));
    };
    expect(run()).toEqual(run());
    expect(run()).toEqual([55, 170, 260, 440]);
  });

  const optsArb = fc
    .record({
      baseMs: fc.integer({ min: 1, max: 10_000 }),
      capMs: fc.integer({ min: 1, max: 600_000 }),
      factor: fc.constantFrom(1.5, 2, 3),
    })
    .filter((o) => o.capMs >= o.baseMs);
  const randomArb = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

  it('property: never above the cap, never below half the current ceiling', () => {
    fc.assert(
      fc.property(optsArb, fc.integer({ min: 0, max: 200 }), randomArb, (o, attempt, r) => {
        const ceiling = Math.min(o.capMs, o.baseMs * o.factor ** attempt);
        const d = backoffDelay(attempt, o, () => r);
        expect(d).toBeLessThanOrEqual(o.capMs);
        // Rounded to whole ms: with an integer ceiling that is never below ceiling / 2; with a fractional one
        // (factor 1.5) it may sit under it by the rounding alone. Never 0: no tight loop.
        expect(d).toBeGreaterThanOrEqual(Math.round(ceiling / 2));
        if (Number.isInteger(ceiling)) expect(d).toBeGreaterThanOrEqual(ceiling / 2);
        expect(d).toBeGreaterThanOrEqual(1);
        expect(Number.isInteger(d)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('property: for a fixed random, the delay never shrinks as attempts grow', () => {
    fc.assert(
      fc.property(optsArb, fc.integer({ min: 0, max: 60 }), randomArb, (o, attempt, r) => {
        expect(backoffDelay(attempt + 1, o, () => r)).toBeGreaterThanOrEqual(
          backoffDelay(attempt, o, () => r),
        );
      }),
      { numRuns: 500 },
    );
  });

  it('grows strictly until the cap is reached', () => {
    const delays = Array.from({ length: 8 }, (_, a) => backoffDelay(a, opts, low));
    expect(delays).toEqual([50, 100, 200, 400, 800, 1600, 2500, 2500]);
  });
});
