import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ValidationError, type WireReport } from '@tether/shared';
import { Metrics, openDatabase } from '../src/index.js';
import { decodeCursor, encodeCursor } from '../src/reports/report-cursor.js';
import { limitsFor, ReportRetention, type RetentionPolicy } from '../src/reports/report-retention.js';
import { ReportStore } from '../src/reports/report-store.js';
import { csvLine } from '../src/reports/report-views.js';
import { ManualClock, silentLogger, tempDir } from './helpers.js';

const wire = (stream: string, seq: number, body = `{"seq":${seq}}`): WireReport => ({
  stream,
  seq,
  at: 1000 + seq,
  contentType: 'application/json',
  body,
});
const range = (stream: string, from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => wire(stream, from + i));

describe('report cursor', () => {
  it('round-trips and refuses anything else', () => {
    expect(decodeCursor(encodeCursor(0))).toBe(0);
    expect(decodeCursor(encodeCursor(123_456_789))).toBe(123_456_789);
    expect(encodeCursor(42)).not.toContain('42');
    for (const bad of ['', 'abc', encodeCursor(1) + '!', Buffer.from('r1:-5').toString('base64url')])
      expect(() => decodeCursor(bad)).toThrow(ValidationError);
  });
});

describe('ReportStore and retention (a real SQLite file)', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));
  function store() {
    const { dir, cleanup } = tempDir();
    const db = openDatabase(join(dir, 'tether.db'));
    cleanups.push(() => {
      db.close();
      cleanup();
    });
    return { db, store: new ReportStore(db) };
  }

  it('stores each (agent, stream, seq) once and acknowledges duplicates too', () => {
    const { store: s } = store();
    const first = s.commit([{ agent: 'e1', reports: range('a', 1, 3) }], 5000);
    expect(first.stored).toHaveLength(3);
    expect(first.acks).toEqual([[{ stream: 'a', from: 1, to: 3 }]]);
    const again = s.commit(
      [
        { agent: 'e1', reports: range('a', 2, 5) },
        { agent: 'e2', reports: range('a', 1, 1) },
      ],
      6000,
    );
    expect(again.stored.map((r) => `${r.agent}:${r.seq}`)).toEqual(['e1:4', 'e1:5', 'e2:1']);
    expect(again.duplicates).toBe(2);
    expect(again.acks).toEqual([[{ stream: 'a', from: 2, to: 5 }], [{ stream: 'a', from: 1, to: 1 }]]);
    expect(s.streams()).toMatchObject([
      { agent: 'e1', stream: 'a', count: 5, lastSeq: 5, lastReceivedAt: 6000 },
      { agent: 'e2', stream: 'a', count: 1, lastSeq: 1 },
    ]);
    const page1 = s.query({ agent: 'e1', limit: 2 });
    expect(page1.map((r) => r.seq)).toEqual([1, 2]);
    expect(s.query({ agent: 'e1', limit: 10, afterId: page1[1]!.id }).map((r) => r.seq)).toEqual([3, 4, 5]);
    expect(s.query({ stream: 'a', since: 1002, until: 1004, limit: 10 }).map((r) => r.seq)).toEqual([2, 3]);
  });

  it('keeps order per stream: a seq past a gap waits unless the agent says it dropped the missing ones', () => {
    const { store: s } = store();
    const early = s.commit([{ agent: 'e1', reports: range('a', 4, 6) }], 1);
    expect(early.stored).toEqual([]);
    expect(early.acks).toEqual([[]]);
    const inOrder = s.commit(
      [
        { agent: 'e1', reports: range('a', 1, 3) },
        { agent: 'e1', reports: range('a', 4, 6) },
      ],
      2,
    );
    expect(inOrder.stored.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    const afterDrop = s.commit(
      [{ agent: 'e1', reports: range('a', 10, 11), dropped: [{ stream: 'a', through: 9 }] }],
      3,
    );
    expect(afterDrop.stored.map((r) => r.seq)).toEqual([10, 11]);
    expect(afterDrop.acks).toEqual([[{ stream: 'a', from: 10, to: 11 }]]);
  });

  it('retention by age and by rows, per stream, and never stores a deleted seq again', () => {
    const { db, store: s } = store();
    const clock = new ManualClock();
    s.commit([{ agent: 'e1', reports: range('a', 1, 10) }], clock.now());
    s.commit([{ agent: 'e1', reports: range('b', 1, 10) }], clock.now());
    const policy: RetentionPolicy = { maxRows: 6, streams: { b: { maxRows: 3 } } };
    const metrics = new Metrics({ routes: () => ({ count: () => 0 }) as never, connections: () => 0 });
    const retention = new ReportRetention({
      db,
      policy,
      metrics,
      logger: silentLogger,
      clock,
      intervalMs: 1000,
    });
    expect(limitsFor(policy, 'b')).toEqual({ maxRows: 3 });
    expect(retention.sweep()).toBe(4 + 7);
    expect(s.query({ stream: 'a', limit: 100 }).map((r) => r.seq)).toEqual([5, 6, 7, 8, 9, 10]);
    expect(s.query({ stream: 'b', limit: 100 }).map((r) => r.seq)).toEqual([8, 9, 10]);
    // A late redelivery of a deleted seq is acknowledged but not stored again.
    const late = s.commit([{ agent: 'e1', reports: range('a', 1, 11) }], clock.now());
    expect(late.stored.map((r) => r.seq)).toEqual([11]);
    expect(late.acks[0]).toEqual([{ stream: 'a', from: 1, to: 11 }]);

    const byAge = new ReportRetention({
      db,
      policy: { maxAgeMs: 500, streams: {} },
      metrics,
      logger: silentLogger,
      clock,
      intervalMs: 1000,
    });
    clock.advance(400);
    s.commit([{ agent: 'e1', reports: [wire('a', 12)] }], clock.now());
    clock.advance(200);
    expect(byAge.sweep()).toBe(7 + 3);
    expect(s.streams().find((x) => x.stream === 'a')).toMatchObject({ count: 1, lastSeq: 12 });
  });

  it('exports CSV with quoting', () => {
    const line = csvLine({
      id: 1,
      agent: 'e1',
      stream: 's',
      seq: 1,
      at: 2,
      receivedAt: 3,
      contentType: 'text/plain',
      body: Buffer.from('a,"b"'),
    });
    expect(line).toBe('1,e1,s,1,2,3,text/plain,text,"a,""b"""\n');
  });
});
