import { describe, expect, it } from 'vitest';
import { WakeTimer } from '../src/reports/wake-timer.js';
import { ManualClock } from './helpers.js';

describe('WakeTimer', () => {
  it('fires once at the earliest time asked for, and not after cancel', () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    const timer = new WakeTimer(clock, () => fired.push(clock.now()));
    const t0 = clock.now();
    timer.wakeBy(t0 + 500);
    timer.wakeBy(t0 + 900); // later: the 500 ms wake-up covers it
    timer.wakeBy(t0 + 200);
    expect(clock.pending).toBe(1);
    clock.advance(1000);
    expect(fired).toEqual([t0 + 200]);
    timer.wakeBy(t0); // in the past: as soon as possible
    timer.cancel();
    clock.advance(1000);
    expect(fired).toEqual([t0 + 200]);
    expect(clock.pending).toBe(0);
  });
});
