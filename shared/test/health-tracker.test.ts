import { describe, expect, it } from 'vitest';
import { HealthTracker, isIdempotent, LatencyWindow, type Ejection } from '@tether/shared';

const K = 'k';
const ej: Ejection = { consecutiveFailures: 3, baseMs: 1000, maxMs: 5000 };

/** Runs `n` failed calls at `now` (each starts and fails at once). */
function fail(t: HealthTracker, now: number, n = 1): void {
  for (let i = 0; i < n; i++) t.failure(t.start(K, now), now, ej);
}

describe('HealthTracker', () => {
  it('an unknown instance is healthy and available', () => {
    const t = new HealthTracker();
    expect(t.state(K, 0)).toBe('healthy');
    expect(t.isAvailable(K, 0)).toBe(true);
    expect(t.snapshot(K, 0)).toMatchObject({ health: 'healthy', inflight: 0, successes: 0, failures: 0 });
  });

  it('ejects after N consecutive failures, not before', () => {
    const t = new HealthTracker();
    fail(t, 100, 2);
    expect(t.state(K, 100)).toBe('healthy');
    fail(t, 100);
    expect(t.state(K, 100)).toBe('ejected');
    expect(t.isAvailable(K, 100)).toBe(false);
    expect(t.snapshot(K, 100).ejectedUntil).toBe(1100);
  });

  it('a success in between resets the consecutive count', () => {
    const t = new HealthTracker();
    fail(t, 0, 2);
    t.success(t.start(K, 0), 0);
    fail(t, 0, 2);
    expect(t.state(K, 0)).toBe('healthy');
    expect(t.snapshot(K, 0)).toMatchObject({ successes: 1, failures: 4, consecutiveFailures: 2 });
  });

  it('half-open after the interval: exactly one trial call', () => {
    const t = new HealthTracker();
    fail(t, 0, 3);
    expect(t.isAvailable(K, 999)).toBe(false);
    expect(t.state(K, 1000)).toBe('half-open');
    expect(t.isAvailable(K, 1000)).toBe(true);
    const trial = t.start(K, 1000);
    expect(trial.trial).toBe(true);
    expect(t.isAvailable(K, 1001)).toBe(false);
    expect(t.start(K, 1001).trial).toBe(false);
  });

  it('a successful trial closes and resets the interval', () => {
    const t = new HealthTracker();
    fail(t, 0, 3);
    t.success(t.start(K, 1000), 1010);
    expect(t.state(K, 1010)).toBe('healthy');
    fail(t, 2000, 3);
    expect(t.snapshot(K, 2000)).toMatchObject({ ejectedUntil: 3000, ejections: 1 });
  });

  it('a failed trial re-ejects for a doubling interval capped at maxMs', () => {
    const t = new HealthTracker();
    fail(t, 0, 3); // 1000
    const until: number[] = [];
    let now = 0;
    for (let i = 0; i < 5; i++) {
      now = t.snapshot(K, now).ejectedUntil ?? -1;
      t.failure(t.start(K, now), now, ej);
      until.push((t.snapshot(K, now).ejectedUntil ?? 0) - now);
    }
    expect(until).toEqual([2000, 4000, 5000, 5000, 5000]);
  });

  it('a released trial lets another trial go', () => {
    const t = new HealthTracker();
    fail(t, 0, 3);
    t.release(t.start(K, 1000));
    expect(t.isAvailable(K, 1000)).toBe(true);
    expect(t.start(K, 1000).trial).toBe(true);
  });

  it('outcomes of calls started before the ejection do not move the circuit', () => {
    const t = new HealthTracker();
    const early = t.start(K, 0);
    const late = t.start(K, 0);
    fail(t, 10, 3);
    t.success(early, 20);
    expect(t.state(K, 20)).toBe('ejected');
    t.failure(late, 1500, ej); // half-open now, but not the trial
    expect(t.state(K, 1500)).toBe('half-open');
    expect(t.snapshot(K, 1500)).toMatchObject({ successes: 1, failures: 4, inflight: 0 });
  });

  it('counts in-flight calls and latency', () => {
    const t = new HealthTracker();
    const calls = [10, 20, 30, 40].map((ms) => ({ ms, token: t.start(K, 1000) }));
    expect(t.inflight(K)).toBe(4);
    for (const { ms, token } of calls) t.success(token, 1000 + ms);
    expect(t.inflight(K)).toBe(0);
    expect(t.snapshot(K, 2000).latencyMs).toEqual({ p50: 20, p99: 40 });
  });

  it('reset closes the circuit, forget drops the counters', () => {
    const t = new HealthTracker();
    fail(t, 0, 3);
    t.reset(K);
    expect(t.state(K, 0)).toBe('healthy');
    expect(t.snapshot(K, 0).failures).toBe(3);
    t.forget(K);
    expect(t.snapshot(K, 0).failures).toBe(0);
  });
});

describe('LatencyWindow', () => {
  it('keeps the last N samples', () => {
    const w = new LatencyWindow(3);
    expect(w.summary()).toEqual({ p50: null, p99: null });
    for (const v of [1000, 1, 2, 3]) w.add(v);
    expect(w.count).toBe(3);
    expect(w.summary()).toEqual({ p50: 2, p99: 3 });
  });

  it('nearest-rank p50/p99 over 100 samples', () => {
    const w = new LatencyWindow(100);
    for (let i = 100; i >= 1; i--) w.add(i);
    expect(w.summary()).toEqual({ p50: 50, p99: 99 });
  });
});

describe('isIdempotent', () => {
  it.each([
    ['GET', true],
    ['get', true],
    ['HEAD', true],
    ['OPTIONS', true],
    ['PUT', true],
    ['DELETE', true],
    ['TRACE', true],
    ['POST', false],
    ['PATCH', false],
    ['CONNECT', false],
    ['', false],
  ])('%s -> %s', (method, want) => expect(isIdempotent(method)).toBe(want));
});
