import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UplinkPacer } from '../src/reports/uplink-pacer.js';
import {
  DEFAULT_TUNING,
  ackTimeoutMs,
  compressionQuality,
  drainEstimateMs,
  nextWireRatio,
  uplinkTargets,
} from '../src/reports/uplink-plan.js';
import { WindowedQuantile } from '../src/reports/windowed-quantile.js';

const KBIT = 1000 / 8;

describe('WindowedQuantile', () => {
  it('is the weighted quantile of the newest samples within the window (property, against brute force)', () => {
    const steps = fc.array(
      fc.tuple(
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 0, max: 50 }),
        fc.integer({ min: 1, max: 9 }),
      ),
      { minLength: 1, maxLength: 100 },
    );
    fc.assert(
      fc.property(
        steps,
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 20 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (samples, windowMs, maxSamples, q) => {
          const filter = new WindowedQuantile(q, windowMs, maxSamples);
          const seen: Array<{ at: number; value: number; weight: number }> = [];
          let at = 0;
          for (const [value, dt, weight] of samples) {
            at += dt;
            filter.add(value, at, weight);
            seen.push({ at, value, weight });
            const kept = seen.filter((s) => s.at >= at - windowMs).slice(-maxSamples);
            const total = kept.reduce((n, s) => n + s.weight, 0);
            // The least kept value with at least q of the weight at or below it.
            const expected = Math.min(
              ...kept
                .map((s) => s.value)
                .filter(
                  (v) => kept.filter((k) => k.value <= v).reduce((n, k) => n + k.weight, 0) >= q * total,
                ),
            );
            expect(filter.value).toBe(expected);
          }
        },
      ),
    );
  });

  it('a heavy sample outweighs light ones; without new samples the answer stays', () => {
    const f = new WindowedQuantile(0.75, 10_000, 16);
    expect(f.value).toBeNull();
    f.add(204_800, 0, 1024); // a small first flight through a burst allowance
    f.add(8000, 1000, 16_384);
    expect(f.value).toBe(8000);
    f.add(9000, 2000, 1);
    expect(f.value).toBe(8000);
  });
});

describe('uplinkTargets', () => {
  it.each<[string, { rate: number | null; baseRttMs: number | null }, number | null, number, number]>([
    ['unmeasured: one probe batch', { rate: null, baseRttMs: null }, null, 1024, 1024],
    ['64 kbit/s, no delay', { rate: 64 * KBIT, baseRttMs: 0 }, null, 2400, 5600],
    ['64 kbit/s, 600 ms satellite round trip', { rate: 64 * KBIT, baseRttMs: 600 }, null, 2400, 10_400],
    ['64 kbit/s capped at 32 kbit/s: floors', { rate: 64 * KBIT, baseRttMs: 0 }, 32 * KBIT, 2048, 4096],
    ['9.6 kbit/s: floors', { rate: 1200, baseRttMs: 0 }, null, 2048, 4096],
    ['2 Mbit/s, 20 ms', { rate: 2000 * KBIT, baseRttMs: 20 }, null, 75_000, 180_000],
    ['1 Gbit/s: caps', { rate: 125e6, baseRttMs: 1 }, null, 240 * 1024, 2 * 1024 * 1024],
  ])('%s', (_what, estimate, maxRate, batchBytes, inFlightBytes) => {
    expect(uplinkTargets(estimate, maxRate)).toEqual({ batchBytes, inFlightBytes });
  });

  it('leaves room for two batches beyond the BDP, and at most ~0.7 s of queue above the floors (property)', () => {
    // Below ~47 kbit/s the floors (2 KiB batches, 4 KiB in flight) decide: at most 4 KiB of link time.
    const floorRate = DEFAULT_TUNING.minInFlightBytes / DEFAULT_TUNING.queueSeconds;
    fc.assert(
      fc.property(
        fc.double({ min: 1000, max: 1e9, noNaN: true }),
        fc.integer({ min: 0, max: 2000 }),
        (rate, baseRttMs) => {
          const { batchBytes, inFlightBytes } = uplinkTargets({ rate, baseRttMs }, null);
          const bdp = rate * (baseRttMs / 1000);
          if (inFlightBytes === DEFAULT_TUNING.maxInFlightBytes) return;
          expect(inFlightBytes).toBeGreaterThanOrEqual(2 * batchBytes);
          if (rate < floorRate) return;
          expect(inFlightBytes - bdp).toBeGreaterThanOrEqual(2 * batchBytes - 1);
          expect((inFlightBytes - bdp) / rate).toBeLessThanOrEqual(0.7001);
        },
      ),
    );
  });
});

describe('ackTimeoutMs', () => {
  it.each<[string, number, number, { rate: number | null; baseRttMs: number | null }, number, number]>([
    ['a small batch on a fast link: the floor', 0, 1000, { rate: 1e6, baseRttMs: 5 }, 0, 5000],
    ['behind 38 KB at 64 kbit/s', 38_000, 2000, { rate: 8000, baseRttMs: 100 }, 0, 2 * (100 + 5000) + 1000],
    ['unmeasured: the floor rate of 1000 B/s', 4000, 2000, { rate: null, baseRttMs: null }, 0, 13_000],
    ['second resend: four times', 0, 1000, { rate: 1e6, baseRttMs: 5 }, 2, 20_000],
    ['many resends: at most five minutes', 0, 1000, { rate: 1e6, baseRttMs: 5 }, 30, 300_000],
  ])('%s', (_what, ahead, bytes, estimate, attempt, expected) => {
    expect(ackTimeoutMs(ahead, bytes, estimate, null, attempt)).toBe(expected);
  });

  it('a rate cap lengthens deadlines to the capped rate', () => {
    expect(ackTimeoutMs(40_000, 0, { rate: 1e6, baseRttMs: 0 }, 4000, 0)).toBe(2 * 10_000 + 1000);
  });
});

describe('drain estimate, compression quality, wire ratio', () => {
  it('estimates drain time at the rate, 0 when empty, null when unmeasured', () => {
    expect(drainEstimateMs(80_000, 8000)).toBe(10_000);
    expect(drainEstimateMs(0, null)).toBe(0);
    expect(drainEstimateMs(1, null)).toBeNull();
  });

  it('compresses densely unless the link is faster than compression', () => {
    expect([null, 8000, 4 * 1024 * 1024 - 1, 4 * 1024 * 1024, 1e9].map(compressionQuality)).toEqual([
      5, 5, 5, 1, 1,
    ]);
  });

  it('follows what batches really took', () => {
    expect(nextWireRatio(1, 30, 100)).toBeCloseTo(0.65);
    expect(nextWireRatio(0.4, 0, 0)).toBe(0.4);
  });
});

describe('UplinkPacer', () => {
  it('never lets more than rate x time + burst out (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 500, max: 1_000_000 }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 50_000 }), fc.integer({ min: 0, max: 2000 })), {
          minLength: 1,
          maxLength: 100,
        }),
        (rate, sends) => {
          const pacer = new UplinkPacer(rate, DEFAULT_TUNING.minBatchBytes);
          let now = 0;
          let sent = 0;
          let lastBatch = 0;
          for (const [bytes, dt] of sends) {
            now += dt;
            now += pacer.wait(now); // the forwarder waits this long before sending
            pacer.charge(bytes, now);
            sent += bytes;
            lastBatch = bytes;
            // Everything but the batch just sent fit the rate since time 0 (plus the burst).
            expect(sent - lastBatch).toBeLessThanOrEqual(
              (rate * now) / 1000 + DEFAULT_TUNING.minBatchBytes + 1,
            );
          }
        },
      ),
    );
  });

  it('lets a first batch go at once, then spaces batches at the rate', () => {
    const pacer = new UplinkPacer(4000, 1024);
    expect(pacer.wait(0)).toBe(0);
    pacer.charge(4000, 0);
    expect(pacer.wait(0)).toBe(744); // 1000 ms for 4000 B, less the 256 ms a 1 KiB burst is worth
    expect(pacer.wait(744)).toBe(0);
  });
});
