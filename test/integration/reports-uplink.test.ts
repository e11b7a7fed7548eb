import { afterAll, describe, expect, it } from 'vitest';
import { compressReportBatch, reportsAckTopic, reportsTopic } from '@tether/shared';
import { connectRaw, publishRaw } from '../helpers/mqtt-client.js';
import { sampleValue, scrape } from '../helpers/prometheus.js';
import { postReadings, readings } from '../helpers/readings.js';
import { allReports, byStream, postReports, storedCounts } from '../helpers/reports.js';
import { stopAll } from '../helpers/processes.js';
import { startControlPlane, startEdge, type ControlPlane, type Edge } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

interface Uplink {
  compression: string | null;
  bytesSent: number;
  bytesResent: number;
  rateBytesPerSecond: number | null;
  drainEstimateMs: number | null;
  backlogBytes: number;
}

const uplinkOf = async (edge: Edge): Promise<Uplink> =>
  (await edge.api<{ uplink: Uplink }>('/v1/status')).body.uplink;

const invalidBatches = async (cp: ControlPlane): Promise<number> =>
  (await scrape(`${cp.apiBase}/metrics`))
    .filter((s) => s.name === 'tether_invalid_report_batches_total')
    .reduce((n, s) => n + s.value, 0);

/** A batch as agents of every version send it: plain JSON, `v: 1`. */
const plainBatch = (batch: string, from: number, count: number): string =>
  JSON.stringify({
    v: 1,
    type: 'report-batch',
    batch,
    reports: readings(count, from).map((r, i) => ({
      stream: 'metrics',
      seq: from + i + 1,
      at: 1_700_000_000_000,
      contentType: 'application/json',
      body: JSON.stringify(r),
    })),
  });

describe('report uplink: protocol versions, compression, priority and the rate cap', () => {
  afterAll(stopAll);

  it('an agent of protocol version 1 (plain batches) is served by this hub; its acks are version 1 acks plus an offer', async () => {
    const cp = await startControlPlane();
    const raw = await connectRaw(cp.mqttUrl, 'old-agent', await cp.addAgent('old-agent'));
    if (!raw.ok) throw new Error(raw.error);
    const acks: unknown[] = [];
    raw.client.on('message', (_topic, payload) => acks.push(JSON.parse(payload.toString())));
    await raw.client.subscribeAsync(reportsAckTopic('old-agent'), { qos: 1 });
    expect(await publishRaw(raw.client, reportsTopic('old-agent'), plainBatch('b1', 0, 20))).toBeUndefined();
    await waitFor(() => acks.length === 1, 'the ack');
    // Exactly a version 1 ack plus `protocol`, which version 1 agents drop (shared/test/report-frame.test.ts
    // parses such an ack with the released version 1 schema).
    expect(acks[0]).toEqual({
      v: 1,
      type: 'report-ack',
      batch: 'b1',
      acks: [{ stream: 'metrics', from: 1, to: 20 }],
      protocol: 2,
    });
    expect((await storedCounts(cp, 'old-agent')).metrics).toBe(20);
    raw.client.end(true);
  });

  it('a hub speaking version 1 only (reports.protocol: 1): this agent sends plain batches, nothing is refused', async () => {
    const cp = await startControlPlane({ config: { reports: { protocol: 1 } } });
    const edge = await startEdge({
      id: 'new-agent',
      secret: await cp.addAgent('new-agent'),
      url: cp.mqttUrl,
      strategy: 'none',
    });
    await postReadings(edge.apiBase, 'metrics', 3000);
    await waitFor(async () => (await storedCounts(cp, 'new-agent')).metrics === 3000, '3,000 stored', {
      timeoutMs: 30_000,
    });
    expect((await uplinkOf(edge)).compression).toBeNull();
    expect(await invalidBatches(cp)).toBe(0);
    // What such a hub does with a frame anyway: refuses it as not JSON, like hubs before version 2.
    const raw = await connectRaw(cp.mqttUrl, 'framer', await cp.addAgent('framer'));
    if (!raw.ok) throw new Error(raw.error);
    await publishRaw(raw.client, reportsTopic('framer'), compressReportBatch(plainBatch('f1', 0, 5), 5));
    await waitFor(async () => (await invalidBatches(cp)) === 1, 'the frame refused');
    raw.client.end(true);
  });

  it('this agent and this hub: batches compressed, stored once and in order; the uplink shows in status and metrics', async () => {
    const cp = await startControlPlane();
    const edge = await startEdge({
      id: 'modern',
      secret: await cp.addAgent('modern'),
      url: cp.mqttUrl,
      strategy: 'none',
    });
    await postReadings(edge.apiBase, 'metrics', 3000);
    await waitFor(async () => (await storedCounts(cp, 'modern')).metrics === 3000, '3,000 stored', {
      timeoutMs: 30_000,
    });
    const uplink = await waitFor(async () => {
      const u = await uplinkOf(edge);
      return u.backlogBytes === 0 && u;
    }, 'the acks applied to the outbox');
    expect(uplink).toMatchObject({ compression: 'br', drainEstimateMs: 0 });
    expect(uplink.rateBytesPerSecond).toBeGreaterThan(0);
    const rows = byStream(await allReports(cp, 'modern')).get('metrics')!;
    expect(rows.map((r) => (r.data as { n: number }).n)).toEqual(Array.from({ length: 3000 }, (_, i) => i));
    // Compressed: far fewer bytes on the wire than the reports' JSON.
    const bodies = readings(3000).reduce((n, r) => n + JSON.stringify(r).length, 0);
    expect(uplink.bytesSent).toBeLessThan(bodies / 3);
    const metrics = await scrape(`${edge.apiBase}/metrics`);
    expect(sampleValue(metrics, 'tether_agent_report_bytes_sent_total')).toBe(uplink.bytesSent);
    expect(sampleValue(metrics, 'tether_agent_socket_bytes_written_total')).toBeGreaterThan(uplink.bytesSent);
    expect(await invalidBatches(cp)).toBe(0);
  });

  it('--uplink-max-rate holds a backlog back; a high-priority report and a route change overtake it', async () => {
    const cp = await startControlPlane();
    const edge = await startEdge({
      id: 'metered',
      secret: await cp.addAgent('metered'),
      url: cp.mqttUrl,
      strategy: 'local',
      args: [
        ...['--uplink-max-rate', '32kbit', '--stream-priority', 'alarms=high,metrics=low'],
        ...['--digest-interval', '500ms'],
      ],
    });
    await waitFor(
      async () => (await edge.api<{ state: string }>('/v1/status')).body.state === 'connected',
      'up',
    );
    await postReadings(edge.apiBase, 'metrics', 1500);
    await waitFor(async () => ((await storedCounts(cp, 'metered')).metrics ?? 0) > 0, 'the backlog draining');
    // The estimate appears once the first acks measured the link (later on a loaded machine).
    await waitFor(
      async () => ((await uplinkOf(edge)).drainEstimateMs ?? 0) > 0,
      'a drain estimate at the agent',
    );
    // The hub (and its dashboard) learns the backlog and its estimate from the agent's digests.
    await waitFor(async () => {
      const { outbox } = (
        await cp.api<{ outbox: { bytes: number; drainEstimateMs?: number } | null }>('/api/v1/agents/metered')
      ).body;
      return outbox !== null && outbox.bytes > 0 && (outbox.drainEstimateMs ?? 0) > 0;
    }, "the agent's backlog and drain estimate at the hub");
    expect((await postReports(edge.apiBase, 'alarms', [{ alarm: 'overpressure' }])).status).toBe(202);
    const added = await edge.api('/v1/services', {
      method: 'POST',
      body: JSON.stringify({ name: 'metered-svc', url: 'http://127.0.0.1:9/' }),
    });
    expect(added.status).toBe(201);
    await waitFor(
      async () =>
        (await cp.api<{ routes: { service: string }[] }>('/api/v1/routes?agent=metered')).body.routes.some(
          (r) => r.service === 'metered-svc',
        ),
      'the route change at the hub while the backlog drains',
    );
    expect(((await storedCounts(cp, 'metered')).metrics ?? 0) < 1500).toBe(true);
    await waitFor(async () => (await storedCounts(cp, 'metered')).metrics === 1500, 'the backlog stored', {
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    const streams = byStream(await allReports(cp, 'metered'));
    const alarm = streams.get('alarms')![0]!;
    const metrics = streams.get('metrics')!;
    expect(alarm.id).toBeLessThan(metrics.at(-1)!.id);
    expect(metrics.map((r) => r.seq)).toEqual(Array.from({ length: 1500 }, (_, i) => i + 1));
    const uplink = await uplinkOf(edge);
    expect(uplink.compression).toBe('br');
    // No resend loop: an ack held up on a loaded machine may send one batch again, never the backlog.
    expect(uplink.bytesResent).toBeLessThan(uplink.bytesSent / 4);
    // The cap (4,000 B/s) held: the rate measured is at most it.
    expect(uplink.rateBytesPerSecond).toBeLessThanOrEqual(4000);
  }, 90_000);
});
