import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  compressReportBatch,
  decode,
  decodeReportsUp,
  isReportFrame,
  ReportAckSchema,
  type ReportBatch,
} from '../src/index.js';

const batch = (n: number): ReportBatch => ({
  v: 1,
  type: 'report-batch',
  batch: 'b1',
  reports: Array.from({ length: n }, (_, i) => ({
    stream: 'metrics',
    seq: i + 1,
    at: 1_700_000_000_000 + i,
    contentType: 'application/json',
    body: JSON.stringify({ sensor: `pump-${i % 7}`, value: (i * 37) % 101, unit: 'C' }),
  })),
});

describe('report frames (protocol version 2)', () => {
  it('round-trip a batch through brotli, smaller than its JSON, and are told apart from JSON', () => {
    const json = JSON.stringify(batch(100));
    const frame = compressReportBatch(json, 5);
    expect(isReportFrame(frame)).toBe(true);
    expect(isReportFrame(Buffer.from(json))).toBe(false);
    expect(frame.byteLength).toBeLessThan(json.length / 3);
    const decoded = decodeReportsUp(frame, { frames: true });
    expect(decoded).toMatchObject({ ok: true, compressed: true, message: batch(100) });
    expect(decodeReportsUp(Buffer.from(json), { frames: true })).toMatchObject({
      ok: true,
      compressed: false,
    });
  });

  it('any batch survives the round trip (property)', () => {
    const report = fc.record({
      stream: fc.stringMatching(/^[a-z][a-z0-9._-]{0,20}$/),
      seq: fc.integer({ min: 1, max: 1e9 }),
      at: fc.integer({ min: 0, max: 2e12 }),
      contentType: fc.constant('application/json'),
      body: fc.string({ maxLength: 300 }),
    });
    fc.assert(
      fc.property(
        fc.array(report, { minLength: 1, maxLength: 50 }),
        fc.integer({ min: 0, max: 11 }),
        (reports, q) => {
          const message: ReportBatch = { v: 1, type: 'report-batch', batch: 'x', reports };
          const decoded = decodeReportsUp(compressReportBatch(JSON.stringify(message), q), { frames: true });
          expect(decoded.ok && decoded.message).toEqual(message);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('a hub that did not offer version 2 refuses a frame as a version 1 hub would (not JSON)', () => {
    const frame = compressReportBatch(JSON.stringify(batch(3)), 5);
    expect(decodeReportsUp(frame, { frames: false })).toMatchObject({ ok: false, reason: 'not_json' });
  });

  it.each<[string, Buffer, string]>([
    ['a header only', Buffer.from([0, 2, 0x62]), 'frame'],
    ['an unknown version', Buffer.from([0, 9, 0x62, 1, 2, 3]), 'frame'],
    ['an unknown codec', Buffer.from([0, 2, 0x7a, 1, 2, 3]), 'frame'],
    // Fixed bytes: about 1 in 28 random 64-byte bodies happens to be a valid brotli stream.
    [
      'a body that is not brotli',
      Buffer.concat([Buffer.from([0, 2, 0x62]), Buffer.alloc(64, 0xff)]),
      'frame',
    ],
    ['JSON of the wrong shape', compressReportBatch('{"v":1,"type":"report-batch"}', 5), 'schema'],
    ['text that is not JSON', compressReportBatch('nope', 5), 'not_json'],
  ])('refuses %s', (_what, payload, reason) => {
    expect(decodeReportsUp(payload, { frames: true })).toMatchObject({ ok: false, reason });
  });

  it('refuses a frame that would inflate past the cap (a zip bomb stays small)', () => {
    const bomb = compressReportBatch(' '.repeat(8 * 1024 * 1024), 5);
    expect(bomb.byteLength).toBeLessThan(10_000);
    expect(decodeReportsUp(bomb, { frames: true, maxBytes: 1024 * 1024 })).toMatchObject({
      ok: false,
      reason: 'too_large',
    });
  });

  it("an ack offering version 2 still parses under version 1's ack schema; a version 1 ack means version 1", () => {
    // The schema agents of protocol version 1 validate acks with (as released).
    const v1Ack = z.object({
      v: z.literal(1),
      type: z.literal('report-ack'),
      batch: z.string().min(1).max(64),
      acks: z.array(z.object({ stream: z.string(), from: z.number(), to: z.number() })).max(256),
    });
    const ack = {
      v: 1,
      type: 'report-ack',
      batch: 'b',
      acks: [{ stream: 's', from: 1, to: 2 }],
      protocol: 2,
    };
    expect(decode(v1Ack, JSON.stringify(ack)).ok).toBe(true);
    const { protocol: _dropped, ...old } = ack;
    const parsed = decode(ReportAckSchema, JSON.stringify(old));
    expect(parsed.ok && parsed.message.protocol).toBeUndefined();
  });
});
