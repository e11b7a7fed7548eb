import { afterAll, describe, expect, it } from 'vitest';
import { allReports, byStream, outboxOf, postReports, storedCounts } from '../helpers/reports.js';
import { stopAll } from '../helpers/processes.js';
import { startControlPlane, startEdge, type ControlPlane } from '../helpers/tether.js';
import { sleep, waitFor } from '../helpers/wait.js';

const mqttPortOf = (cp: ControlPlane): number => Number(new URL(cp.mqttUrl).port);

/** Restarts a control plane on the same data dir and MQTT port. */
function restart(cp: ControlPlane): Promise<ControlPlane> {
  return startControlPlane({ dataDir: cp.dataDir, args: ['--mqtt-port', String(mqttPortOf(cp))] });
}

describe('reports survive crashes: stored exactly once, in order', () => {
  afterAll(stopAll);

  it('kill -9 of the control plane ten times during 10,000 reports: stored = accepted, no duplicates, in order', async () => {
    let cp = await startControlPlane();
    const edge = await startEdge({
      id: 'crashy',
      secret: await cp.addAgent('crashy'),
      url: cp.mqttUrl,
      strategy: 'none',
    });
    const accepted = { a: 0, b: 0 };
    // Per stream one sequential producer, so accept order per stream is known: payload n = accept position.
    const produce = async (stream: 'a' | 'b', from: number, count: number): Promise<void> => {
      for (let i = 0; i < count; i += 100) {
        const lines = Array.from({ length: 100 }, (_, k) => ({ stream, n: from + i + k }));
        const res = await postReports(edge.apiBase, stream, lines);
        expect(res.status).toBe(202);
        accepted[stream] += lines.length;
      }
    };
    for (let round = 0; round < 10; round++) {
      await waitFor(
        async () => (await edge.api<{ state: string }>('/v1/status')).body.state === 'connected',
        'agent connected again',
        { timeoutMs: 40_000 },
      );
      const producing = Promise.all([produce('a', round * 500, 500), produce('b', round * 500, 500)]);
      // Killed while the agent is forwarding what it accepts.
      await sleep(20 + round * 10);
      await cp.proc.stop('SIGKILL');
      await producing;
      cp = await restart(cp);
    }
    expect(accepted).toEqual({ a: 5000, b: 5000 });

    await waitFor(
      async () => {
        const counts = await storedCounts(cp, 'crashy');
        return counts.a === 5000 && counts.b === 5000 && (await outboxOf(edge)).depth === 0;
      },
      'all 10,000 reports stored and the outbox empty',
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    const reports = await allReports(cp, 'crashy');
    expect(reports).toHaveLength(10_000);
    for (const stream of ['a', 'b']) {
      const rows = byStream(reports).get(stream)!;
      // Stored order (id) is accept order: seq 1..5000 and payloads 0..4999, each exactly once.
      expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 5000 }, (_, i) => i + 1));
      expect(rows.map((r) => (r.data as { n: number }).n)).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    }
  }, 180_000);

  it('the control plane down while the agent accepts 5,000 reports: all arrive after it comes back', async () => {
    let cp = await startControlPlane();
    const edge = await startEdge({
      id: 'patient',
      secret: await cp.addAgent('patient'),
      url: cp.mqttUrl,
      strategy: 'none',
    });
    await waitFor(
      async () => (await edge.api<{ state: string }>('/v1/status')).body.state === 'connected',
      'agent connected',
    );
    await cp.proc.stop('SIGKILL');
    for (let i = 0; i < 5000; i += 1000) {
      const res = await postReports(
        edge.apiBase,
        'm',
        Array.from({ length: 1000 }, (_, k) => ({ n: i + k })),
      );
      expect(res.status).toBe(202);
    }
    expect((await outboxOf(edge)).depth).toBe(5000);
    cp = await restart(cp);
    await waitFor(
      async () => (await storedCounts(cp, 'patient')).m === 5000 && (await outboxOf(edge)).depth === 0,
      '5,000 reports stored after the restart',
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    const rows = byStream(await allReports(cp, 'patient')).get('m')!;
    expect(rows.map((r) => (r.data as { n: number }).n)).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  }, 120_000);

  it('kill -9 of the agent in the middle of a batch: nothing that got a 202 is lost', async () => {
    const cp = await startControlPlane();
    const secret = await cp.addAgent('fragile');
    let edge = await startEdge({ id: 'fragile', secret, url: cp.mqttUrl, strategy: 'none' });
    const acked = new Set<number>();
    let next = 0;
    let killed = false;
    const producer = async (): Promise<void> => {
      while (!killed) {
        const lines = Array.from({ length: 50 }, () => ({ n: next++ }));
        const res = await postReports(edge.apiBase, 's', lines).catch(() => undefined);
        if (res?.status === 202) for (const l of lines) acked.add(l.n);
      }
    };
    const producers = Promise.all([producer(), producer(), producer(), producer()]);
    await waitFor(() => acked.size >= 2000, '2,000 reports accepted', { timeoutMs: 30_000 });
    // Killed while requests are in flight and batches are on their way to the hub.
    await edge.proc.stop('SIGKILL');
    killed = true;
    await producers;
    const stateDir = edge.stateDir;
    edge = await startEdge({ id: 'fragile', secret, url: cp.mqttUrl, strategy: 'none', stateDir });
    await waitFor(async () => (await outboxOf(edge)).depth === 0, 'outbox drained after the restart', {
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    const rows = await allReports(cp, 'fragile');
    const seen = rows.map((r) => (r.data as { n: number }).n);
    expect(new Set(seen).size).toBe(seen.length); // no duplicates
    expect(new Set(rows.map((r) => r.seq)).size).toBe(rows.length);
    const missing = [...acked].filter((n) => !seen.includes(n));
    expect(missing).toEqual([]);
    expect(rows.length).toBeGreaterThanOrEqual(acked.size);
  }, 120_000);
});
