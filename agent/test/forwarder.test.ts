import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ackRanges, decodeReportsUp, isReportFrame, reportsAckTopic, type ReportBatch } from '@tether/shared';
import { ReportForwarder, type ForwarderOptions } from '../src/reports/forwarder.js';
import { ackTimeoutMs } from '../src/reports/uplink-plan.js';
import { Outbox } from '../src/reports/outbox.js';
import { FakeTransport, ManualClock, quietLogger, tempDir, waitFor } from './helpers.js';

const AGENT = 'edge-1';
const LIMITS = { maxBytes: 1 << 30, maxAgeMs: 86_400_000, overflow: 'refuse' as const };
/** A report of about 170 bytes, like a sensor reading. */
const reading = (i: number) => ({
  contentType: 'application/json',
  body: Buffer.from(
    JSON.stringify({
      sensor: `pump-${i % 40}`,
      seq: i,
      temperature: 18 + ((i * 37) % 100) / 10,
      unit: 'C',
      ok: true,
    }),
  ),
});

interface Sent {
  message: ReportBatch;
  compressed: boolean;
  bytes: Buffer;
}

describe('ReportForwarder (fake link, real outbox, manual clock)', () => {
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  async function setup(options: Partial<ForwarderOptions> = {}) {
    const { dir, remove } = await tempDir();
    const clock = new ManualClock();
    const outbox = Outbox.open({ file: path.join(dir, 'outbox.db'), limits: LIMITS, clock });
    const transport = new FakeTransport();
    const forwarder = new ReportForwarder({
      agentId: AGENT,
      outbox,
      transport,
      logger: quietLogger,
      clock,
      ...options,
    });
    cleanup.push(
      remove,
      () => outbox.close(),
      () => forwarder.stop(),
    );
    /** The batches published since the last call, decoded as the hub decodes them. */
    const sent = (): Sent[] =>
      transport.published.splice(0).map((m) => {
        const decoded = decodeReportsUp(m.bytes!, { frames: true });
        if (!decoded.ok) throw new Error(decoded.error);
        return { message: decoded.message, compressed: decoded.compressed, bytes: m.bytes! };
      });
    /** The hub's ack of a whole batch (or of `count` of its reports), after `ms`. */
    const ack = (batch: Sent, extra: { protocol?: number; count?: number } = {}) => {
      const reports = batch.message.reports.slice(0, extra.count ?? batch.message.reports.length);
      transport.deliver(reportsAckTopic(AGENT), {
        v: 1,
        type: 'report-ack',
        batch: batch.message.batch,
        acks: ackRanges(reports),
        ...(extra.protocol ? { protocol: extra.protocol } : {}),
      });
    };
    const accept = async (stream: string, from: number, count: number) =>
      outbox.accept(
        stream,
        Array.from({ length: count }, (_, i) => reading(from + i)),
      );
    return { clock, outbox, transport, forwarder, sent, ack, accept };
  }

  it('probes with one small plain batch, compresses once the hub offers protocol 2, and forgets that on a reconnect', async () => {
    const t = await setup();
    await t.accept('metrics', 0, 2000);
    t.transport.connect();
    await t.forwarder.start();
    const [probe, ...rest] = t.sent();
    expect(rest).toEqual([]);
    await t.accept('metrics', 2000, 10); // more reports: still one batch until the first ack
    expect(t.sent()).toEqual([]);
    expect(probe!.compressed).toBe(false);
    expect(probe!.bytes.byteLength).toBeLessThanOrEqual(2048 + 300);
    t.clock.advance(300);
    t.ack(probe!, { protocol: 2 });
    const next = t.sent();
    expect(next.length).toBeGreaterThan(0);
    expect(next.every((b) => b.compressed && isReportFrame(b.bytes))).toBe(true);
    expect(t.forwarder.uplink().compression).toBe('br');
    const left = 2010 - probe!.message.reports.length;
    await waitFor(() => t.outbox.stats().depth === left, 'the probe deleted from the outbox');

    t.transport.drop();
    t.transport.connect();
    const again = t.sent();
    expect(again.map((b) => b.compressed)).toEqual([false]); // a new probe: this hub may be an older one
    expect(again[0]!.message.reports[0]!.seq).toBe(probe!.message.reports.at(-1)!.seq + 1); // the oldest unacked
    t.ack(again[0]!); // no `protocol`: a version 1 hub
    expect(t.sent().every((b) => !b.compressed)).toBe(true);
    expect(t.forwarder.uplink().compression).toBeNull();
  });

  it('never compresses with maxProtocol 1, whatever the hub offers', async () => {
    const t = await setup({ maxProtocol: 1 });
    await t.accept('metrics', 0, 500);
    t.transport.connect();
    await t.forwarder.start();
    t.ack(t.sent()[0]!, { protocol: 2 });
    expect(t.sent().every((b) => !b.compressed)).toBe(true);
  });

  it('clocks batches by acks: the bytes in flight stay near one link-second, the rate is measured', async () => {
    const t = await setup();
    await t.accept('metrics', 0, 3000);
    t.transport.connect();
    await t.forwarder.start();
    // A 8000 B/s link: each batch is acknowledged when the link has carried it and those before it.
    const rate = 8;
    let linkFreeAt = t.clock.now();
    let maxInFlight = 0;
    const queue: Sent[] = [];
    for (let round = 0; round < 200; round++) {
      queue.push(...t.sent());
      maxInFlight = Math.max(maxInFlight, t.forwarder.uplink().inFlightBytes);
      const batch = queue.shift();
      if (!batch) break;
      linkFreeAt = Math.max(linkFreeAt, t.clock.now()) + batch.bytes.byteLength / rate;
      t.clock.advance(Math.max(0, Math.ceil(linkFreeAt) + 5 - t.clock.now()));
      t.ack(batch, { protocol: 2 });
    }
    const uplink = t.forwarder.uplink();
    expect(uplink.rateBytesPerSecond! / 8000).toBeGreaterThan(0.9);
    expect(uplink.rateBytesPerSecond! / 8000).toBeLessThan(1.1);
    expect(maxInFlight).toBeLessThanOrEqual(8000 * 1.0);
    expect(uplink.bytesResent).toBe(0);
    const drain = (uplink.backlogBytes / uplink.rateBytesPerSecond!) * 1000;
    expect(Math.abs(uplink.drainEstimateMs! - drain)).toBeLessThanOrEqual(2);
  });

  it('an overdue ack resends that batch alone, the same bytes, with a doubled deadline', async () => {
    const t = await setup();
    await t.accept('metrics', 0, 200);
    t.transport.connect();
    await t.forwarder.start();
    const [probe] = t.sent();
    const bytes = probe!.bytes.byteLength;
    const deadline = ackTimeoutMs(0, bytes, { rate: null, baseRttMs: null }, null, 0);
    t.clock.advance(deadline - 1);
    expect(t.sent()).toEqual([]);
    t.clock.advance(1);
    const resent = t.sent();
    expect(resent.map((b) => b.bytes)).toEqual([probe!.bytes]);
    expect(t.forwarder.uplink()).toMatchObject({ bytesResent: bytes, inFlightBatches: 1 });
    t.clock.advance(2 * deadline - 1);
    expect(t.sent()).toEqual([]);
    t.clock.advance(1);
    expect(t.sent()).toHaveLength(1);
    t.ack(probe!);
    expect(t.sent()[0]!.message.reports[0]!.seq).toBe(probe!.message.reports.at(-1)!.seq + 1);
  });

  it('a partial ack (the hub waits for an earlier seq) starts over from the oldest unacknowledged report', async () => {
    const t = await setup();
    await t.accept('metrics', 0, 200);
    t.transport.connect();
    await t.forwarder.start();
    const [probe] = t.sent();
    expect(probe!.message.reports.length).toBeGreaterThan(3);
    t.ack(probe!, { count: 3 });
    const [restart] = t.sent();
    // Restarted at once: the three acked ones may still be read (deleted with the next commit; the hub dedupes).
    expect(restart!.message.reports[0]!.seq).toBeLessThanOrEqual(4);
    expect(restart!.message.reports.map((r) => r.seq)).toContain(4);
    await waitFor(() => t.outbox.stats().depth === 197, 'the acked three deleted');
  });

  it('a high-priority report overtakes a low-priority backlog; each stream stays in order', async () => {
    const t = await setup({ streamPriority: { alarms: 'high', metrics: 'low' } });
    await t.accept('metrics', 0, 1000);
    await t.accept('events', 0, 5);
    t.transport.connect();
    await t.forwarder.start();
    const [probe] = t.sent();
    expect(probe!.message.reports[0]!.stream).toBe('events'); // normal before low
    await t.accept('alarms', 0, 1);
    t.ack(probe!, { protocol: 2 });
    const next = t.sent();
    expect(next[0]!.message.reports[0]!.stream).toBe('alarms');
    const seqs = [probe!, ...next].flatMap((b) => b.message.reports).filter((r) => r.stream === 'metrics');
    expect(seqs.map((r) => r.seq)).toEqual(seqs.map((_, i) => i + 1));
  });

  it('the uplink cap paces report bytes', async () => {
    const t = await setup({ maxRate: 2000 });
    await t.accept('metrics', 0, 3000);
    t.transport.connect();
    await t.forwarder.start();
    let bytes = 0;
    const start = t.clock.now();
    for (let i = 0; i < 100; i++) {
      for (const b of t.sent()) {
        bytes += b.bytes.byteLength;
        t.ack(b, { protocol: 2 }); // an instant link: only the cap holds it back
      }
      t.clock.advance(100);
    }
    const seconds = (t.clock.now() - start) / 1000;
    expect(bytes).toBeLessThanOrEqual(2000 * seconds + 2048);
    expect(bytes).toBeGreaterThan(2000 * seconds * 0.8);
    expect(t.forwarder.uplink().maxRateBytesPerSecond).toBe(2000);
  });
});
