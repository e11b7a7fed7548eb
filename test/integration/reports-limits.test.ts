import { createServer, type AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { connectRaw, publishRaw } from '../helpers/mqtt-client.js';
import { allReports, outboxOf, postReports, storedCounts } from '../helpers/reports.js';
import { stopAll } from '../helpers/processes.js';
import { startControlPlane, startEdge } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

/** A loopback port nothing listens on. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// Each report body is exactly 100 bytes, so a 1,000-byte outbox holds ten.
const report = (n: number): { n: number; pad: string } => ({
  n,
  pad: 'x'.repeat(100 - 15 - String(n).length),
});

describe('report outbox limits and malformed input', () => {
  afterAll(stopAll);

  it('overflow refuse: 507 once the outbox is full, and nothing is dropped', async () => {
    const edge = await startEdge({
      id: 'full',
      secret: 'unused',
      url: `mqtt://127.0.0.1:${await deadPort()}`,
      strategy: 'none',
      args: ['--outbox-max-bytes', '1000', '--outbox-overflow', 'refuse'],
    });
    expect(JSON.stringify(report(1))).toHaveLength(100);
    for (let n = 1; n <= 10; n++)
      expect((await postReports(edge.apiBase, 's', [report(n)])).status).toBe(202);
    const refused = await postReports(edge.apiBase, 's', [report(11)]);
    expect(refused.status).toBe(507);
    expect(refused.body.error?.code).toBe('outbox_full');
    expect(await outboxOf(edge)).toMatchObject({ depth: 10, bytes: 1000, dropped: 0 });
  });

  it('overflow drop-oldest: the newest reports are kept and the dropped ones counted', async () => {
    const cp = await startControlPlane();
    const mqttPort = new URL(cp.mqttUrl).port;
    const secret = await cp.addAgent('lossy');
    await cp.proc.stop('SIGKILL');
    const edge = await startEdge({
      id: 'lossy',
      secret,
      url: cp.mqttUrl,
      strategy: 'none',
      args: ['--outbox-max-bytes', '1000', '--outbox-overflow', 'drop-oldest'],
    });
    for (let n = 1; n <= 30; n++)
      expect((await postReports(edge.apiBase, 's', [report(n)])).status).toBe(202);
    expect(await outboxOf(edge)).toMatchObject({ depth: 10, bytes: 1000, dropped: 20 });
    const again = await startControlPlane({ dataDir: cp.dataDir, args: ['--mqtt-port', mqttPort] });
    await waitFor(async () => (await storedCounts(again, 'lossy')).s === 10, 'the ten newest stored', {
      timeoutMs: 30_000,
    });
    const rows = await allReports(again, 'lossy');
    expect(rows.map((r) => r.seq)).toEqual([21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
    expect((await outboxOf(edge)).dropped).toBe(20);
  });

  it('malformed reports get 400 with the reason and change nothing; malformed batches are counted', async () => {
    const cp = await startControlPlane();
    const edge = await startEdge({
      id: 'careful',
      secret: await cp.addAgent('careful'),
      url: cp.mqttUrl,
      strategy: 'none',
    });
    const post = (stream: string, body: string, type: string) =>
      edge.api<{ error: { code: string; message: string } }>(`/v1/reports/${stream}`, {
        method: 'POST',
        body,
        headers: { 'content-type': type },
      });
    const cases = [
      { res: await post('s', '{"a":', 'application/json'), reason: /not JSON/ },
      {
        res: await post('s', '{"a":1}\n{"b":2}\n{oops}\n', 'application/x-ndjson'),
        reason: /line 3 is not JSON/,
      },
      { res: await post('bad%20name!', '{"a":1}', 'application/json'), reason: /invalid stream/ },
      { res: await post('s', '', 'application/json'), reason: /empty body/ },
    ];
    for (const { res, reason } of cases) {
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.message).toMatch(reason);
    }
    expect(await outboxOf(edge)).toMatchObject({ depth: 0, bytes: 0 });
    expect((await postReports(edge.apiBase, 's', [{ ok: 1 }])).status).toBe(202);
    await waitFor(async () => (await storedCounts(cp, 'careful')).s === 1, 'the valid report stored');

    // A (compromised) agent publishing garbage on its own reports topic changes nothing at the hub.
    const rogueSecret = await cp.addAgent('rogue');
    const raw = await connectRaw(cp.mqttUrl, 'rogue', rogueSecret);
    if (!raw.ok) throw new Error(raw.error);
    const topic = 'tether/v1/agents/rogue/reports';
    expect(await publishRaw(raw.client, topic, 'not json')).toBeUndefined();
    expect(
      await publishRaw(
        raw.client,
        topic,
        JSON.stringify({ v: 1, type: 'report-batch', batch: 'b', reports: [] }),
      ),
    ).toBeUndefined();
    const bad = { stream: 's', seq: 0, at: 1, contentType: 'application/json', body: '{}' };
    expect(
      await publishRaw(
        raw.client,
        topic,
        JSON.stringify({ v: 1, type: 'report-batch', batch: 'b', reports: [bad] }),
      ),
    ).toBeUndefined();
    const counted = async (): Promise<number> => {
      const text = await (await fetch(`${cp.apiBase}/metrics`)).text();
      return [...text.matchAll(/^tether_invalid_report_batches_total\{[^}]*\} (\d+)/gm)].reduce(
        (sum, m) => sum + Number(m[1]),
        0,
      );
    };
    await waitFor(async () => (await counted()) === 3, 'three malformed batches counted');
    raw.client.end(true);
    expect(await storedCounts(cp, 'rogue')).toEqual({});
    expect(cp.proc.stderr()).toMatch(/"agentId":"rogue".*invalid report batch refused/);
  });
});
