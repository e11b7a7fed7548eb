import { describe, expect, it } from 'vitest';
import { ackRanges, decode, isJsonContentType, parseBytes, ReportBatchSchema } from '../src/index.js';

describe('report wire schema', () => {
  it('acknowledges per stream the range a batch covers', () => {
    const reports = [
      { stream: 'a', seq: 4 },
      { stream: 'b', seq: 1 },
      { stream: 'a', seq: 5 },
      { stream: 'a', seq: 6 },
    ];
    expect(ackRanges(reports)).toEqual([
      { stream: 'a', from: 4, to: 6 },
      { stream: 'b', from: 1, to: 1 },
    ]);
  });

  it('validates batches: a version, a type, 1-256 reports with seq >= 1 and a valid stream', () => {
    const report = { stream: 's', seq: 1, at: 0, contentType: 'application/json', body: '{}' };
    const ok = { v: 1, type: 'report-batch', batch: 'b1', reports: [report] };
    expect(decode(ReportBatchSchema, JSON.stringify(ok)).ok).toBe(true);
    for (const bad of [
      { ...ok, reports: [] },
      { ...ok, reports: Array.from({ length: 257 }, () => report) },
      { ...ok, reports: [{ ...report, seq: 0 }] },
      { ...ok, reports: [{ ...report, stream: 'a/b' }] },
      { ...ok, v: 2 },
    ])
      expect(decode(ReportBatchSchema, JSON.stringify(bad)).ok).toBe(false);
  });

  it('knows JSON content types and parses sizes', () => {
    expect(isJsonContentType('application/json; charset=utf-8')).toBe(true);
    expect(isJsonContentType('application/vnd.x+json')).toBe(true);
    expect(isJsonContentType('text/plain')).toBe(false);
    expect(parseBytes('64MiB')).toBe(64 * 1024 * 1024);
    expect(parseBytes('1kb')).toBe(1000);
    expect(parseBytes(5)).toBe(5);
    expect(() => parseBytes('lots')).toThrow();
  });
});
