import { describe, expect, it } from 'vitest';
import { isJsonContentType } from '@tether/shared';
import { planBatch, toWireReport } from '../src/reports/batch-plan.js';
import { InFlightWindow } from '../src/reports/in-flight-window.js';
import { parseReportBody } from '../src/reports/report-input.js';

const row = (id: number, size: number) => ({ id, body: Buffer.alloc(size) });

describe('planBatch', () => {
  it('bounds a batch by count and bytes, and never returns an empty batch for a large first report', () => {
    const rows = Array.from({ length: 10 }, (_, i) => row(i + 1, 40));
    expect(planBatch(rows, { maxReports: 4, maxBytes: 1000 }).map((r) => r.id)).toEqual([1, 2, 3, 4]);
    expect(planBatch(rows, { maxReports: 100, maxBytes: 100 }).map((r) => r.id)).toEqual([1, 2]);
    expect(planBatch([row(1, 500), row(2, 1)], { maxReports: 10, maxBytes: 100 }).map((r) => r.id)).toEqual([
      1,
    ]);
    expect(planBatch([], { maxReports: 10, maxBytes: 100 })).toEqual([]);
  });

  it('sends JSON as text and anything else as base64', () => {
    const base = { id: 1, stream: 's', seq: 1, at: 5 };
    expect(
      toWireReport(
        { ...base, contentType: 'application/json', body: Buffer.from('{"a":1}') },
        isJsonContentType,
      ),
    ).toEqual({
      stream: 's',
      seq: 1,
      at: 5,
      contentType: 'application/json',
      body: '{"a":1}',
    });
    expect(
      toWireReport({ ...base, contentType: 'image/png', body: Buffer.from([0, 255]) }, isJsonContentType),
    ).toMatchObject({
      body: 'AP8=',
      base64: true,
    });
  });
});

describe('InFlightWindow', () => {
  const sent = (batch: string, bytes: number, deadline: number) => ({
    batch,
    payload: 'x'.repeat(bytes),
    bytes,
    reports: 1,
    sentAt: 0,
    deadline,
    resends: 0,
  });

  it('counts the bytes in flight, settles batches by ack and finds the overdue ones', () => {
    const w = new InFlightWindow();
    w.add(sent('a', 100, 50));
    w.add(sent('b', 30, 20));
    expect([w.count, w.bytes, w.nextDeadline]).toEqual([2, 130, 20]);
    expect(w.overdue(19)).toEqual([]);
    expect(w.overdue(20).map((b) => b.batch)).toEqual(['b']);
    expect(w.overdue(60).map((b) => b.batch)).toEqual(['a', 'b']);
    expect(w.settle('a')).toMatchObject({ batch: 'a' });
    expect(w.settle('a')).toBeUndefined(); // a duplicate ack
    expect([w.count, w.bytes, w.nextDeadline]).toEqual([1, 30, 20]);
    w.clear();
    expect([w.count, w.bytes, w.nextDeadline]).toEqual([0, 0, undefined]);
  });
});

describe('parseReportBody', () => {
  it('turns JSON, NDJSON and bytes into reports, keeping the content type of bytes', () => {
    expect(parseReportBody('application/json', Buffer.from(' {"a":1} '))).toHaveLength(1);
    expect(parseReportBody('application/x-ndjson', Buffer.from('{"a":1}\n\n[2]\n'))).toHaveLength(2);
    expect(parseReportBody('text/csv', Buffer.from('a,b'))).toEqual([
      { contentType: 'text/csv', body: Buffer.from('a,b') },
    ]);
  });

  it('refuses malformed input with a reason', () => {
    expect(() => parseReportBody('application/x-ndjson', Buffer.from('{}\nnope'))).toThrow(
      /line 2 is not JSON/,
    );
    expect(() => parseReportBody('application/json', Buffer.from('{'))).toThrow(/not JSON/);
    expect(() => parseReportBody(undefined, Buffer.alloc(0))).toThrow(/empty body/);
  });
});
