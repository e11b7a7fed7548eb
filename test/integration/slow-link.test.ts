import { afterAll, describe, expect, it } from 'vitest';
import { sampleValue, scrape } from '../helpers/prometheus.js';
import { postReadings } from '../helpers/readings.js';
import { allReports, byStream, postReports, storedCounts } from '../helpers/reports.js';
import { stopAll } from '../helpers/processes.js';
import { createShapedLink, shapedLinkUnavailable } from '../helpers/shaped-link.js';
import { startControlPlane, startEdge, type Edge } from '../helpers/tether.js';
import { sleep, waitFor } from '../helpers/wait.js';

/** The part of the agent's `/v1/status` this test reads. */
interface Status {
  state: string;
  connectedSince: number | null;
  reconnects: number;
  uplink: {
    bytesSent: number;
    bytesResent: number;
    compression: string | null;
    rateBytesPerSecond: number | null;
  };
}

const RATE = '64kbit';
const RATE_BITS = 64_000;
/** About 9 s of the link once compressed: the test stays well under a minute. */
const BACKLOG = 2000;

const status = async (edge: Edge): Promise<Status> => (await edge.api<Status>('/v1/status')).body;

describe('reporting over a shaped uplink (tbf in a network namespace, as root)', () => {
  afterAll(stopAll);

  it(`drains a backlog at ${RATE} compressed, routes and alarms first, never reconnecting (time vs link printed)`, async (ctx) => {
    const unavailable = shapedLinkUnavailable();
    if (unavailable) return ctx.skip(unavailable);
    const link = createShapedLink(RATE);
    try {
      const cp = await startControlPlane();
      const secret = await cp.addAgent('slow');
      // The control plane is unreachable while the agent accepts its backlog (the link is down).
      link.setUp(false);
      const edge = await startEdge({
        id: 'slow',
        secret,
        url: `mqtt://${link.hubAddress}:${new URL(cp.mqttUrl).port}`,
        strategy: 'local',
        netns: { wrap: link.wrap, apiHost: link.agentApiAddress },
        args: ['--stream-priority', 'alarms=high,metrics=low'],
      });
      await postReadings(edge.apiBase, 'metrics', BACKLOG);
      expect((await status(edge)).state).not.toBe('connected');

      link.setUp(true);
      const connected = await waitFor(
        async () => {
          const s = await status(edge);
          return s.state === 'connected' && s.connectedSince !== null && s;
        },
        'the agent connected over the shaped link',
        { timeoutMs: 30_000, intervalMs: 50 },
      );

      // During the backlog: a route change, and an alarm on a high-priority stream.
      await sleep(2_000);
      const routeAsked = Date.now();
      const added = await edge.api('/v1/services', {
        method: 'POST',
        body: JSON.stringify({ name: 'late-service', url: 'http://127.0.0.1:9/' }),
      });
      expect(added.status).toBe(201);
      expect((await postReports(edge.apiBase, 'alarms', [{ alarm: 'overpressure', pump: 7 }])).status).toBe(
        202,
      );
      await waitFor(
        async () =>
          (await cp.api<{ routes: { service: string }[] }>('/api/v1/routes?agent=slow')).body.routes.some(
            (r) => r.service === 'late-service',
          ),
        'the route change at the hub',
        { timeoutMs: 20_000, intervalMs: 50 },
      );
      const routeMs = Date.now() - routeAsked;

      await waitFor(
        async () => {
          const counts = await storedCounts(cp, 'slow');
          return counts.metrics === BACKLOG && counts.alarms === 1;
        },
        'the whole backlog stored',
        { timeoutMs: 60_000, intervalMs: 100 },
      );
      const after = await status(edge);
      const metrics = await scrape(`${edge.apiBase}/metrics`);
      const socketBytes = sampleValue(metrics, 'tether_agent_socket_bytes_written_total');
      const streams = byStream(await allReports(cp, 'slow'));
      const stored = streams.get('metrics')!;
      const alarm = streams.get('alarms')![0]!;
      const drainedAt = stored.at(-1)!.receivedAt;

      const payload = after.uplink.bytesSent - after.uplink.bytesResent;
      const linkSeconds = (payload * 8) / RATE_BITS;
      const tookSeconds = (drainedAt - connected.connectedSince!) / 1000;
      const wire = link.stats();
      const figures = {
        reports: BACKLOG,
        compressedPayload: payload,
        linkSeconds: Number(linkSeconds.toFixed(2)),
        tookSeconds: Number(tookSeconds.toFixed(2)),
        socketBytes,
        wireBytes: wire.bytes,
        qdiscDrops: wire.drops,
        resent: after.uplink.bytesResent,
        routeMs,
        measuredRate: after.uplink.rateBytesPerSecond,
      };
      console.log(`slow-link ${RATE}: ${JSON.stringify(figures)}`);

      expect(after.uplink.compression).toBe('br');
      expect(stored.map((r) => r.seq)).toEqual(Array.from({ length: BACKLOG }, (_, i) => i + 1));
      // Tests assert no timings (pnpm bench:slow-link compares drain time with link time); bytes tell a resend loop.
      expect(socketBytes).toBeLessThanOrEqual(1.1 * payload);
      expect(after.reconnects).toBe(connected.reconnects);
      expect(after.connectedSince).toBe(connected.connectedSince);
      expect(alarm.id).toBeLessThan(stored.at(-1)!.id);
    } finally {
      link.close();
    }
  }, 120_000);
});
