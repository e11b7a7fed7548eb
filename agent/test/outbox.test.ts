import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OutboxFullError, ReportTooLargeError } from '../src/reports/outbox-errors.js';
import { Outbox } from '../src/reports/outbox.js';
import type { OutboxLimits } from '../src/reports/outbox-types.js';
import { ManualClock } from './helpers.js';

const json = (value: unknown) => ({
  contentType: 'application/json',
  body: Buffer.from(JSON.stringify(value)),
});
const bytes = (n: number) => ({ contentType: 'application/octet-stream', body: Buffer.alloc(n, 1) });
const LIMITS: OutboxLimits = { maxBytes: 1_000_000, maxAgeMs: 86_400_000, overflow: 'refuse' };

describe('Outbox (a real SQLite file)', () => {
  const dirs: string[] = [];
  const open: Outbox[] = [];
  afterEach(async () => {
    for (const o of open.splice(0)) o.close();
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });
  async function outbox(limits: Partial<OutboxLimits> = {}, clock = new ManualClock(), dir?: string) {
    const d = dir ?? (await mkdtemp(path.join(tmpdir(), 'tether-outbox-')));
    if (!dir) dirs.push(d);
    const o = Outbox.open({ file: path.join(d, 'outbox.db'), limits: { ...LIMITS, ...limits }, clock });
    open.push(o);
    return { o, dir: d, clock };
  }

  it('is created 0600 and keeps reports and per-stream seqs across a reopen', async () => {
    const { o, dir } = await outbox();
    expect(statSync(path.join(dir, 'outbox.db')).mode & 0o777).toBe(0o600);
    expect(await o.accept('a', [json(1), json(2)])).toEqual({ stream: 'a', first: 1, last: 2 });
    expect(await o.accept('b', [json(3)])).toEqual({ stream: 'b', first: 1, last: 1 });
    o.close();
    const { o: again } = await outbox({}, new ManualClock(), dir);
    expect(again.stats()).toMatchObject({ depth: 3 });
    expect(await again.accept('a', [json(4)])).toEqual({ stream: 'a', first: 3, last: 3 });
    expect(again.read(0, 10).map((r) => [r.stream, r.seq, r.body.toString()])).toEqual([
      ['a', 1, '1'],
      ['a', 2, '2'],
      ['b', 1, '3'],
      ['a', 3, '4'],
    ]);
  });

  it('commits concurrent requests together (group commit), each with its own contiguous seqs', async () => {
    const { o } = await outbox();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => o.accept('s', [json(i), json(i)])),
    );
    const seqs = results.flatMap((r) => [r.first, r.last]).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(o.stats().depth).toBe(100);
  });

  it('deletes only acknowledged ranges', async () => {
    const { o } = await outbox();
    await o.accept('a', [json(1), json(2), json(3)]);
    await o.accept('b', [json(1)]);
    o.ack([{ stream: 'a', from: 1, to: 2 }]);
    await o.accept('c', [json(0)]); // the ack is committed with the next group
    expect(o.read(0, 10).map((r) => `${r.stream}${r.seq}`)).toEqual(['a3', 'b1', 'c1']);
    expect(o.stats()).toMatchObject({ depth: 3, bytes: 3 });
  });

  it('refuse: rejects what would exceed the byte limit or join a too-old outbox, storing nothing of it', async () => {
    const { o, clock } = await outbox({ maxBytes: 100, maxAgeMs: 1000 });
    await o.accept('s', [bytes(60)]);
    await expect(o.accept('s', [bytes(30), bytes(30)])).rejects.toBeInstanceOf(OutboxFullError);
    await expect(o.accept('s', [bytes(101)])).rejects.toBeInstanceOf(ReportTooLargeError);
    expect(o.stats()).toMatchObject({ depth: 1, bytes: 60, dropped: 0 });
    clock.advance(1001);
    await expect(o.accept('s', [bytes(1)])).rejects.toBeInstanceOf(OutboxFullError);
    expect(await o.accept('t', []).catch(() => 'refused')).toBe('refused');
  });

  it('drop-oldest: drops the oldest to fit and what is older than the age limit, counting them', async () => {
    const { o, clock } = await outbox({ maxBytes: 100, maxAgeMs: 1000, overflow: 'drop-oldest' });
    for (let i = 0; i < 5; i++) await o.accept('s', [bytes(30)]);
    expect(o.stats()).toMatchObject({ depth: 3, bytes: 90, dropped: 2 });
    expect(o.read(0, 10).map((r) => r.seq)).toEqual([3, 4, 5]);
    clock.advance(1001);
    await o.accept('s', [bytes(1)]);
    expect(o.stats()).toMatchObject({ depth: 1, bytes: 1, dropped: 5 });
  });

  it('reads the rows of some streams, or of all others, in id order, from memory or from the file', async () => {
    const { o, dir } = await outbox();
    for (let i = 0; i < 3; i++) {
      await o.accept('metrics', [json(i), json(i)]);
      await o.accept('alarms', [json(i)]);
    }
    const alarms = { streams: ['alarms'], exclude: false };
    const others = { streams: ['alarms'], exclude: true };
    const ids = (rows: { stream: string; seq: number }[]) => rows.map((r) => `${r.stream}${r.seq}`);
    expect(o.lastId).toBe(9);
    expect(ids(o.read(0, 10, alarms))).toEqual(['alarms1', 'alarms2', 'alarms3']);
    expect(ids(o.read(3, 2, others))).toEqual(['metrics3', 'metrics4']);
    o.close();
    const { o: again } = await outbox({}, new ManualClock(), dir); // nothing in memory: SQL
    expect(again.lastId).toBe(9);
    expect(ids(again.read(0, 10, alarms))).toEqual(['alarms1', 'alarms2', 'alarms3']);
    expect(ids(again.read(3, 2, others))).toEqual(['metrics3', 'metrics4']);
    expect(ids(again.read(0, 3, { streams: [], exclude: true }))).toEqual([
      'metrics1',
      'metrics2',
      'alarms1',
    ]);
  });

  it('reports the age of the oldest report', async () => {
    const { o, clock } = await outbox();
    expect(o.stats().oldestAgeMs).toBeNull();
    await o.accept('s', [json(1)]);
    clock.advance(250);
    expect(o.stats().oldestAgeMs).toBe(250);
  });
});
