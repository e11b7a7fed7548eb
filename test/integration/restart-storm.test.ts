import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '@tether/control-plane';
import type { FromWorker, ToWorker } from '../bench/sim-agents.js';
import { callWorker, forkSimWorker, RAW_CAPACITY } from '../helpers/sim-workers.js';
import { listAll } from '../helpers/pages.js';
import { stopAll } from '../helpers/processes.js';
import { startControlPlane, type ControlPlane } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

// The CI size: 1,000 agents (about 7 s of test time here, 4 s of it the storm).
const AGENTS = 1000;
const SERVICES = 3;
// Raw capacity: neither connection rate limits the fleet (their own tests cover them).
const config = RAW_CAPACITY;

async function metric(cp: ControlPlane, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${cp.apiBase}/metrics`)).text();
  return Number(pattern.exec(text)?.[1] ?? 0);
}
const activeRoutes = (cp: ControlPlane) => metric(cp, /^tether_routes\{state="active"\} (\d+)$/m);

describe('a reconnect storm after kill -9 of the control plane', () => {
  const worker = forkSimWorker();
  afterAll(async () => {
    worker.kill('SIGKILL');
    await stopAll();
  });
  const call = (msg: ToWorker, until: FromWorker['evt']) => callWorker(worker, msg, until);

  it(`brings back every route of ${AGENTS} agents, none lost, none duplicated, unchanged agents resumed`, async () => {
    const cp = await startControlPlane({ config });
    const agents: { id: string; secret: string }[] = [];
    for (let i = 0; i < AGENTS; i += 50) {
      const ids = Array.from({ length: Math.min(50, AGENTS - i) }, (_, j) => `storm-${i + j}`);
      agents.push(...(await Promise.all(ids.map(async (id) => ({ id, secret: await cp.addAgent(id) })))));
    }
    await call(
      { cmd: 'connect', url: cp.mqttUrl, agents, services: SERVICES, withRoutes: true },
      'connected',
    );
    await waitFor(async () => (await activeRoutes(cp)) === AGENTS * SERVICES, 'every route active');

    await cp.proc.stop('SIGKILL');
    // Few places (16) for connects in flight: the storm's CONNECTs wait for one instead of being refused.
    const again = await startControlPlane({
      dataDir: cp.dataDir,
      config: { limits: { ...config.limits, connectsInFlight: { max: 16 } } },
    });
    // At once: every route is still there, stale.
    expect(await metric(again, /^tether_routes\{state="stale"\} (\d+)$/m)).toBe(AGENTS * SERVICES);
    await call({ cmd: 'failover', url: again.mqttUrl, spreadMs: 1_000 }, 'failedOver');
    await waitFor(async () => (await activeRoutes(again)) === AGENTS * SERVICES, 'every route active again', {
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    // Every agent came back unchanged, so it resumed: no snapshot crossed the wire.
    expect(await metric(again, /^tether_messages_received_total\{type="advert-resume"\} (\d+)$/m)).toBe(
      AGENTS,
    );
    expect(await metric(again, /^tether_messages_received_total\{type="advert-snapshot"\} (\d+)$/m)).toBe(0);
    // ... and the hub found each in sync (stored position and digest matched): no resync asked of any.
    expect(await metric(again, /^tether_resumes_total\{outcome="in-sync"\} (\d+)$/m)).toBe(AGENTS);
    expect(await metric(again, /^tether_resumes_total\{outcome="resync"\} (\d+)$/m)).toBe(0);
    // No agent was sent away to retry later, and nobody is left waiting.
    expect(await metric(again, /^tether_connect_refusals_total\{reason="busy"\} (\d+)$/m)).toBe(0);
    expect(await metric(again, /^tether_connects_waiting (\d+)$/m)).toBe(0);

    const listed = await listAll<{ id: string; status: string; routeCount: number }>(
      again,
      '/api/v1/agents',
      'agents',
    );
    expect(listed.filter((a) => a.status === 'online' && a.routeCount === SERVICES)).toHaveLength(AGENTS);
    await again.proc.stop('SIGKILL'); // no shutdown writes: the rows as the storm left them
    const db = openDatabase(join(cp.dataDir, 'tether.db'));
    try {
      const rows = db
        .prepare<[], { n: number; keys: number; origins: number; active: number }>(
          `SELECT count(*) AS n, count(DISTINCT key) AS keys, count(DISTINCT origin) AS origins,
                  sum(state = 'active') AS active FROM routes`,
        )
        .get();
      expect(rows).toEqual({
        n: AGENTS * SERVICES,
        keys: AGENTS * SERVICES,
        origins: AGENTS,
        active: AGENTS * SERVICES,
      });
    } finally {
      db.close();
    }
  });
});
