import { describe, expect, it } from 'vitest';
import { ReconnectScheduler } from '@tether/agent';
import { ManualClock } from './helpers.js';

function setup(random = () => 1) {
  const clock = new ManualClock();
  let reconnects = 0;
  const scheduler = new ReconnectScheduler({ clock, random, reconnect: () => reconnects++ });
  return { clock, scheduler, reconnects: () => reconnects };
}

describe('ReconnectScheduler', () => {
  it('grows the delay on every lost attempt, up to the 30 s cap', () => {
    const { scheduler, clock, reconnects } = setup();
    const delays: number[] = [];
    for (let i = 0; i < 10; i++) {
      delays.push(scheduler.closed('lost')!);
      clock.advance(delays.at(-1)!);
    }
    expect(delays.slice(0, 4)).toEqual([500, 1000, 2000, 4000]);
    expect(Math.max(...delays)).toBe(30_000);
    expect(delays.at(-1)).toBe(30_000);
    expect(reconnects()).toBe(10);
  });

  it('applies jitter from the injected random source, never below half the ceiling', () => {
    const { scheduler } = setup(() => 0);
    expect(scheduler.closed('lost')).toBe(250);
    expect(scheduler.closed('lost')).toBe(500);
  });

  it('retries a busy refusal (CONNACK 3) on its own curve: 1 s doubling to 10 s, lost attempts untouched', () => {
    const { scheduler } = setup();
    const busy = Array.from({ length: 6 }, () => scheduler.closed('busy'));
    expect(busy).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(scheduler.closed('lost')).toBe(500);
    scheduler.connected();
    expect(scheduler.closed('busy')).toBe(1000);
  });

  it('resets to the shortest delay after a successful connect', () => {
    const { scheduler } = setup();
    scheduler.closed('lost');
    scheduler.closed('lost');
    expect(scheduler.closed('lost')).toBe(2000);
    scheduler.connected();
    expect(scheduler.closed('lost')).toBe(500);
  });

  it('waits long after refused credentials, growing to 5 minutes, and never fires early', () => {
    const { scheduler, clock, reconnects } = setup();
    const first = scheduler.closed('unauthorized')!;
    expect(first).toBe(10_000);
    clock.advance(first - 1);
    expect(reconnects()).toBe(0);
    clock.advance(1);
    expect(reconnects()).toBe(1);
    const delays = [first];
    for (let i = 0; i < 8; i++) delays.push(scheduler.closed('unauthorized')!);
    expect(delays.slice(0, 3)).toEqual([10_000, 20_000, 40_000]);
    expect(delays.at(-1)).toBe(300_000);
  });

  it('keeps one timer at a time and stops for good', () => {
    const { scheduler, clock, reconnects } = setup();
    scheduler.closed('lost');
    scheduler.closed('lost');
    expect(clock.pending).toBe(1);
    scheduler.stop();
    expect(clock.pending).toBe(0);
    expect(scheduler.closed('lost')).toBeUndefined();
    clock.advance(60_000);
    expect(reconnects()).toBe(0);
  });
});
