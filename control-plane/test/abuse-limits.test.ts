import { describe, expect, it } from 'vitest';
import { ConnectionAdmission } from '../src/broker/connection-admission.js';
import { DenialTracker } from '../src/broker/denial-tracker.js';
import { brokerLimits } from '../src/broker/limits.js';
import { MqttFrameScanner } from '../src/broker/mqtt-frame-scanner.js';
import { PublishRateLimiter } from '../src/broker/publish-rate-limit.js';
import { TokenBucket } from '@tether/shared';
import { KeyedBuckets } from '../src/broker/keyed-buckets.js';
import { ManualClock } from './helpers.js';

/** MQTT fixed headers, written out: the type byte, then the remaining length in 7-bit groups, low first. */
const H = {
  publish3: Buffer.from([0x30, 0x03]),
  publish10: Buffer.from([0x30, 0x0a]),
  publish1000: Buffer.from([0x30, 0xe8, 0x07]), // 1000 = 104 + 7 * 128
  publish1001: Buffer.from([0x30, 0xe9, 0x07]),
  publish5000: Buffer.from([0x30, 0x88, 0x27]), // 5000 = 8 + 39 * 128
  connect60: Buffer.from([0x10, 0x3c]),
  pingreq: Buffer.from([0xc0, 0x00]),
};

describe('TokenBucket (fake clock)', () => {
  it('spends its burst, refills at the rate and reports the wait of a debt', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ perSecond: 10, burst: 5 }, clock);
    for (let i = 0; i < 5; i++) expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(false);
    clock.advance(100);
    expect(bucket.tryTake()).toBe(true);
    expect(bucket.take(3)).toBe(300);
    clock.advance(300);
    expect(bucket.take(1)).toBe(100);
    clock.advance(10_000);
    expect(bucket.full).toBe(true);
  });

  it('keyed buckets stay bounded: idle keys are forgotten, busy overflow shares one bucket', () => {
    const clock = new ManualClock();
    const keyed = new KeyedBuckets({ perSecond: 1, burst: 1 }, clock, 3);
    for (const k of ['a', 'b', 'c']) expect(keyed.bucket(k).tryTake()).toBe(true);
    expect(keyed.bucket('d').tryTake()).toBe(true); // overflow bucket
    expect(keyed.bucket('e').tryTake()).toBe(false); // same overflow bucket, spent
    expect(keyed.size).toBe(3);
    clock.advance(5_000);
    keyed.bucket('f');
    expect(keyed.size).toBeLessThanOrEqual(3);
  });
});

describe('ConnectionAdmission (fake clock)', () => {
  it('bounds connections over all sources, without charging the source of a globally refused one', () => {
    const clock = new ManualClock();
    const admission = new ConnectionAdmission(
      { connectRate: { perSecond: 1, burst: 2 }, admissionRate: { perSecond: 10, burst: 4 } },
      clock,
    );
    // Four sources, one connection each: the global burst is spent; the fifth source is refused globally.
    for (const s of ['a', 'b', 'c', 'd']) expect(admission.admit(s)).toBeUndefined();
    expect(admission.admit('e')).toBe('admission');
    expect(admission.admit('e')).toBe('admission');
    clock.advance(100); // one global token back
    expect(admission.admit('e')).toBeUndefined(); // 'e' was not charged for its refusals: its burst is intact
    clock.advance(100);
    expect(admission.admit('e')).toBeUndefined();
    clock.advance(100);
    expect(admission.admit('e')).toBe('rate_limited'); // now its own rate (burst 2) is what refuses it
    // The global rate refills at its rate: 10/s.
    clock.advance(1_000);
    let admitted = 0;
    for (let i = 0; i < 20; i++) if (admission.admit(`s${i}`) === undefined) admitted++;
    expect(admitted).toBe(4);
  });

  it('refuses at a full cap first, charging neither rate', () => {
    const clock = new ManualClock();
    const admission = new ConnectionAdmission(
      { connectRate: { perSecond: 1, burst: 1 }, admissionRate: { perSecond: 1, burst: 1 } },
      clock,
    );
    for (let i = 0; i < 3; i++) expect(admission.admit('a', { open: 2, max: 2 })).toBe('handshakes');
    expect(admission.admit('a', { open: 1, max: 2 })).toBeUndefined(); // both buckets were still full
    expect(admission.admit('b', { open: 1, max: 2 })).toBe('admission');
  });
});

describe('MqttFrameScanner', () => {
  const limits = { maxPacketBytes: 1000, maxPreConnectBytes: 100 };

  it('refuses a packet over the limit from its header alone, across chunk boundaries', () => {
    const s = new MqttFrameScanner(limits);
    s.authenticated();
    expect(s.scan(Buffer.concat([H.publish10, Buffer.alloc(10)]))).toBeUndefined();
    const big = H.publish1001;
    expect(s.scan(big.subarray(0, 2))).toBeUndefined();
    expect(s.scan(big.subarray(2))).toBe('packet_too_large');
  });

  it('follows packet boundaries (bodies skipped, zero-length packets) and accepts the limit itself', () => {
    const s = new MqttFrameScanner(limits);
    s.authenticated();
    const stream = Buffer.concat([
      H.pingreq,
      H.publish1000,
      Buffer.alloc(1000, 0xff),
      H.publish3,
      Buffer.alloc(3),
    ]);
    for (let i = 0; i < stream.length; i += 7) expect(s.scan(stream.subarray(i, i + 7))).toBeUndefined();
    expect(s.scan(H.publish5000)).toBe('packet_too_large');
  });

  it('counts bytes before authentication, and refuses a length field of more than 4 bytes', () => {
    const s = new MqttFrameScanner(limits);
    expect(s.scan(Buffer.concat([H.connect60, Buffer.alloc(60)]))).toBeUndefined();
    expect(s.scan(Buffer.alloc(40))).toBe('pre_connect_bytes');
    const t = new MqttFrameScanner({ maxPacketBytes: 2 ** 30, maxPreConnectBytes: 100 });
    expect(t.scan(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80]))).toBe('malformed_length');
  });
});

describe('DenialTracker (fake clock)', () => {
  const policy = { denials: 3, windowMs: 1_000, baseMs: 10_000, maxMs: 40_000 };

  it('quarantines after K denials within the window, for a growing interval', () => {
    const clock = new ManualClock();
    const t = new DenialTracker(policy, clock, () => 1);
    expect(t.record('a').quarantined).toBe(false);
    clock.advance(2_000); // outside the window: the first one no longer counts
    expect(t.record('a').quarantined).toBe(false);
    expect(t.record('a').quarantined).toBe(false);
    const first = t.record('a');
    expect(first).toMatchObject({ quarantined: true, attempt: 0 });
    expect(t.quarantinedUntil('a')).toBe(clock.now() + 10_000);
    expect(t.quarantinedUntil('b')).toBeUndefined();
    clock.advance(10_001);
    expect(t.quarantinedUntil('a')).toBeUndefined();
    for (let i = 0; i < 2; i++) t.record('a');
    expect(t.record('a')).toMatchObject({ quarantined: true, attempt: 1 });
    expect(t.quarantinedUntil('a')).toBe(clock.now() + 20_000);
  });

  it('resets the growth once the agent stays clean long enough', () => {
    const clock = new ManualClock();
    const t = new DenialTracker(policy, clock, () => 1);
    for (let i = 0; i < 3; i++) t.record('a');
    clock.advance(100_000);
    for (let i = 0; i < 2; i++) t.record('a');
    expect(t.record('a')).toMatchObject({ quarantined: true, attempt: 0 });
  });
});

describe('PublishRateLimiter (fake clock)', () => {
  it('passes within the rate, delays a little over it, refuses (uncharged) far over it', () => {
    const clock = new ManualClock();
    const limits = brokerLimits({
      agentMessages: { perSecond: 10, burst: 2 },
      agentControlMessages: { perSecond: 1, burst: 1 },
      maxThrottleMs: 500,
    });
    const limiter = new PublishRateLimiter(limits, clock);
    const data = 'tether/v1/agents/a/reports';
    expect(limiter.charge('a', data, 10)).toEqual({ action: 'pass' });
    expect(limiter.charge('a', data, 10)).toEqual({ action: 'pass' });
    expect(limiter.charge('a', data, 10)).toEqual({ action: 'delay', delayMs: 100 });
    for (let i = 0; i < 4; i++) limiter.charge('a', data, 10);
    expect(limiter.charge('a', data, 10)).toEqual({ action: 'refuse' });
    clock.advance(1_000);
    expect(limiter.charge('a', data, 10).action).not.toBe('refuse');
    // The control topics have their own, tighter bucket; other agents are not affected.
    expect(limiter.charge('b', 'tether/v1/agents/b/advert', 10)).toEqual({ action: 'pass' });
    expect(limiter.charge('b', 'tether/v1/agents/b/advert', 10)).toEqual({ action: 'refuse' });
  });
});
