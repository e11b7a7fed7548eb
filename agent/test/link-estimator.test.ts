import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LinkEstimator } from '../src/reports/link-estimator.js';
import { DEFAULT_TUNING } from '../src/reports/uplink-plan.js';
import { UplinkWindow } from '../src/reports/uplink-window.js';

/** What one simulated run measured over its second half. */
interface SimResult {
  utilisation: number;
  rate: number | null;
  baseRttMs: number | null;
  /** The longest a byte sent in the second half waited in the queue before the link took it, ms. */
  maxQueueMs: number;
}

/**
 * A bottleneck link of `rate` bytes/s with a FIFO queue in front of it; each batch is acknowledged `delayMs` after
 * its last byte left (propagation, the hub's commit, the ack's way back). The sender always has reports to send and
 * sizes batches and window with `uplinkTargets`, exactly as the forwarder does. Discrete events, no timers.
 */
function simulate(
  rate: number,
  delayMs: number,
  seconds: number,
  quirks: { stall?: { everyMs: number; forMs: number }; burstBytes?: number } = {},
): SimResult {
  const { stall } = quirks;
  let burstLeft = quirks.burstBytes ?? 0;
  const window = new UplinkWindow();
  const acks: Array<{ at: number; id: string; bytes: number }> = [];
  let now = 0;
  let linkFreeAt = 0;
  let inFlight = 0;
  let next = 0;
  let deliveredLate = 0;
  let maxQueueMs = 0;
  const half = (seconds * 1000) / 2;
  const send = (): void => {
    for (let n = 0; n < 10_000; n++) {
      if (!window.hasRoom(inFlight, acks.length)) return;
      const t = window.targets;
      const id = String(next++);
      const start = Math.max(now, linkFreeAt);
      if (now >= half) maxQueueMs = Math.max(maxQueueMs, start - now);
      // A shaper's burst allowance: the first bytes of the connection leave at line speed.
      const paced = Math.max(0, t.batchBytes - burstLeft);
      burstLeft = Math.max(0, burstLeft - t.batchBytes);
      linkFreeAt = start + (paced / rate) * 1000;
      let at = linkFreeAt + delayMs;
      // A stall (a lost segment and its retransmission): acks due during it come together at its end, 1 ms apart.
      if (stall && at % stall.everyMs < stall.forMs) at += stall.forMs - (at % stall.everyMs) + (next % 8);
      acks.push({ at, id, bytes: t.batchBytes });
      inFlight += t.batchBytes;
      window.sent(id, t.batchBytes, now, false);
    }
  };
  send();
  for (let n = 0; n < 1_000_000 && acks.length > 0; n++) {
    acks.sort((a, b) => a.at - b.at);
    const ack = acks.shift()!;
    now = ack.at;
    if (now > seconds * 1000) break;
    window.acked(ack.id, ack.bytes, now);
    inFlight -= ack.bytes;
    if (now >= half) deliveredLate += ack.bytes;
    send();
  }
  return {
    utilisation: deliveredLate / ((rate * (seconds * 1000 - half)) / 1000),
    ...window.estimate,
    maxQueueMs,
  };
}

describe('UplinkWindow (LinkEstimator, uplinkTargets, the ramp) on a simulated bottleneck', () => {
  it.each<[string, number, number]>([
    ['32 kbit/s, 5 ms', 4000, 5],
    ['64 kbit/s, 5 ms', 8000, 5],
    ['64 kbit/s, 600 ms (satellite)', 8000, 600],
    ['256 kbit/s, 50 ms', 32_000, 50],
    ['2 Mbit/s, 20 ms', 250_000, 20],
    ['100 Mbit/s, 1 ms', 12_500_000, 1],
  ])(
    '%s: the link stays busy, the rate is measured, nothing waits much over a second',
    (_what, rate, delayMs) => {
      const r = simulate(rate, delayMs, 60);
      expect(r.utilisation).toBeGreaterThan(0.97);
      expect(r.rate! / rate).toBeGreaterThan(0.95);
      expect(r.rate! / rate).toBeLessThan(1.05);
      // The probe's round trip: the link's, plus its own transmission.
      expect(r.baseRttMs!).toBeGreaterThanOrEqual(delayMs);
      expect(r.baseRttMs!).toBeLessThanOrEqual(delayMs + (DEFAULT_TUNING.minBatchBytes / rate) * 1000 + 1);
      expect(r.maxQueueMs).toBeLessThanOrEqual(1000);
    },
  );

  it.each<[string, number, number]>([
    ['64 kbit/s', 8000, 5],
    ['2 Mbit/s', 250_000, 20],
  ])(
    '%s with a 400 ms stall every 2 s (bunched acks): the rate is not overestimated',
    (_what, rate, delayMs) => {
      const r = simulate(rate, delayMs, 60, { stall: { everyMs: 2000, forMs: 400 } });
      expect(r.rate! / rate).toBeLessThan(1.1);
      expect(r.rate! / rate).toBeGreaterThan(0.8);
      expect(r.utilisation).toBeGreaterThan(0.9);
    },
  );

  it('a first flight that fits a shaper burst allowance does not make the rate', () => {
    const rate = 8000;
    const r = simulate(rate, 5, 8, { burstBytes: 4000 }); // within the 10 s the first samples count
    expect(r.rate! / rate).toBeLessThan(1.1);
    expect(r.rate! / rate).toBeGreaterThan(0.9);
  });

  it('holds for any rate above the batch floor and any round trip the window can cover (property)', () => {
    fc.assert(
      fc.property(
        // Above the batch floor (2 KiB is 0.3 s of link from ~55 kbit/s); below, the table cases.
        fc.integer({
          min: Math.ceil(DEFAULT_TUNING.minBatchBytes / DEFAULT_TUNING.batchSeconds),
          max: 2_000_000,
        }),
        fc.integer({ min: 0, max: 700 }),
        (rate, delayMs) => {
          fc.pre(rate * (delayMs / 1000 + 1) <= DEFAULT_TUNING.maxInFlightBytes / 2);
          const r = simulate(rate, delayMs, 40);
          expect(r.utilisation).toBeGreaterThan(0.95);
          expect(r.rate! / rate).toBeGreaterThan(0.9);
          expect(r.rate! / rate).toBeLessThan(1.1);
          expect(r.maxQueueMs).toBeLessThanOrEqual(1050);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('an app-limited sample never lowers the rate; a resent batch gives no sample; reset keeps the estimate', () => {
    const e = new LinkEstimator();
    e.sent('a', 8000, 0, false);
    e.acked('a', 1000);
    expect(e.estimate.rate).toBe(8000);
    e.sent('b', 100, 2000, true);
    e.acked('b', 3000); // 100 B/s: app-limited, ignored
    expect(e.estimate.rate).toBe(8000);
    e.sent('c', 8000, 4000, false);
    e.resent('c');
    e.acked('c', 60_000);
    expect(e.estimate).toEqual({ rate: 8000, baseRttMs: expect.any(Number) as number });
    expect(e.delivered).toBe(16_100);
    e.sent('d', 100, 61_000, false);
    e.reset();
    e.acked('d', 62_000); // forgotten: no sample, not delivered
    expect(e.delivered).toBe(16_100);
    expect(e.estimate.rate).toBe(8000);
  });
});
