import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  advanceCursors,
  planPriorityBatch,
  priorityClasses,
  truncatePriorityBatch,
  type StreamPriority,
} from '../src/reports/stream-priority.js';

const row = (id: number, stream: string, size = 10) => ({ id, stream, body: { length: size } });

describe('priorityClasses', () => {
  it.each<[string, Record<string, StreamPriority>, unknown[]]>([
    ['none: one class of every stream', {}, [{ priority: 'normal', filter: { streams: [], exclude: true } }]],
    [
      'high and low listed',
      { metrics: 'low', alarms: 'high', logs: 'low', audit: 'normal' },
      [
        { priority: 'high', filter: { streams: ['alarms'], exclude: false } },
        { priority: 'normal', filter: { streams: ['alarms', 'logs', 'metrics'], exclude: true } },
        { priority: 'low', filter: { streams: ['logs', 'metrics'], exclude: false } },
      ],
    ],
  ])('%s', (_what, priorities, classes) => {
    expect(priorityClasses(priorities)).toEqual(classes);
  });
});

describe('planPriorityBatch', () => {
  it('fills from the highest class first, within the limits', () => {
    const high = [row(90, 'alarms'), row(95, 'alarms')];
    const low = [row(1, 'metrics'), row(2, 'metrics'), row(3, 'metrics')];
    expect(planPriorityBatch([high, [], low], { maxReports: 4, maxBytes: 1000 })).toEqual([
      high,
      [],
      low.slice(0, 2),
    ]);
    expect(planPriorityBatch([high, [], low], { maxReports: 10, maxBytes: 25 })).toEqual([high, [], []]);
    expect(planPriorityBatch([[], [], low], { maxReports: 10, maxBytes: 1 })).toEqual([
      [],
      [],
      low.slice(0, 1),
    ]);
    expect(truncatePriorityBatch([high, [], low], 3)).toEqual([high, [], low.slice(0, 1)]);
  });

  it('a batch is a prefix of each class, higher classes whole before lower ones start (property)', () => {
    const classes = fc.array(fc.array(fc.integer({ min: 1, max: 500 }), { maxLength: 30 }), {
      minLength: 1,
      maxLength: 3,
    });
    fc.assert(
      fc.property(
        classes,
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 3000 }),
        (sizes, maxReports, maxBytes) => {
          let id = 0;
          const candidates = sizes.map((list, c) => list.map((size) => row(++id, `s${c}`, size)));
          const batch = planPriorityBatch(candidates, { maxReports, maxBytes });
          const rows = batch.flat();
          batch.forEach((taken, c) => expect(taken).toEqual(candidates[c]!.slice(0, taken.length)));
          batch.forEach((taken, c) => {
            if (taken.length > 0) for (let h = 0; h < c; h++) expect(batch[h]).toEqual(candidates[h]);
          });
          expect(rows.length).toBeLessThanOrEqual(maxReports);
          if (rows.length > 1)
            expect(rows.reduce((n, r) => n + r.body.length, 0)).toBeLessThanOrEqual(maxBytes);
          if (candidates.some((c) => c.length > 0)) expect(rows.length).toBeGreaterThan(0);
        },
      ),
    );
  });
});

describe('advanceCursors', () => {
  it.each<[string, number[], number[][], number[][], number[]]>([
    [
      'past what each class took',
      [0, 0],
      [
        [1, 2, 3],
        [4, 5],
      ],
      [[1, 2], []],
      [2, 0],
    ],
    [
      'a class read to its end and taken whole jumps to the newest id',
      [0, 0],
      [[1, 2], [3]],
      [[1, 2], [3]],
      [9, 9],
    ],
    ['an empty class read to its end jumps too (never rescans)', [5, 0], [[], [6]], [[], []], [9, 0]],
    ['a full read (maybe more rows) stops at what was taken', [0], [[1, 2, 3, 4]], [[1, 2, 3, 4]], [4]],
  ])('%s', (_what, cursors, reads, taken, expected) => {
    const rows = (ids: number[][]) => ids.map((list) => list.map((id) => ({ id })));
    expect(advanceCursors(cursors, rows(reads), rows(taken), 9, 4)).toEqual(expected);
  });
});
