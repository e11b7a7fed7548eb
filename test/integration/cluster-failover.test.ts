import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '@tether/control-plane';
import type { FromWorker, ToWorker } from '../bench/sim-agents.js';
import { callWorker, forkSimWorker } from '../helpers/sim-workers.js';
import { listAll } from '../helpers/pages.js';
import { stopAll } from '../helpers/processes.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { startControlPlane, type ControlPlane } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

const AGENTS = 200;
const SERVICES = 3;

async function metric(cp: ControlPlane, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${cp.apiBase}/metrics`)).text();
  return Number(pattern.exec(text)?.[1] ?? 0);
}
const routesIn = (cp: ControlPlane, state: 'active' | 'stale') =>
  metric(cp, new RegExp(`^tether_routes\\{state="${state}"\\} (\\d+)$`, 'm'));

// Two replicas on a real Redis, a simulated fleet on r2; kill -9 of r2 (docs/cluster.md, "Liveness across replicas").
describe('kill -9 of one of two replicas', () => {
  const worker = forkSimWorker();
  let redis: RedisServer | undefined;
  afterAll(async () => {
    worker.kill('SIGKILL');
    await stopAll();
    await redis?.kill();
  });
  const call = (msg: ToWorker, until: FromWorker['evt']) => callWorker(worker, msg, until);

  it(`the survivor records all ${AGENTS} agents of the dead one offline together, then resumes each: no route lost or duplicated`, async () => {
    redis = await startRedis();
    const args = (id: string) => ['--redis-url', redis!.url, '--replica-id', id];
    const [r1, r2] = await Promise.all([
      startControlPlane({ args: args('r1') }),
      startControlPlane({ args: args('r2') }),
    ]);
    const agents: { id: string; secret: string }[] = [];
    for (let i = 0; i < AGENTS; i += 50) {
      const ids = Array.from({ length: Math.min(50, AGENTS - i) }, (_, j) => `fo-${i + j}`);
      agents.push(...(await Promise.all(ids.map(async (id) => ({ id, secret: await r1.addAgent(id) })))));
    }
    // Created on r1, they reach r2 through the change log; then all connect to r2.
    await waitFor(
      async () => (await listAll(r2, '/api/v1/agents', 'agents')).length === AGENTS,
      'every agent on r2',
      { timeoutMs: 20_000 },
    );
    await call(
      { cmd: 'connect', url: r2.mqttUrl, agents, services: SERVICES, withRoutes: true },
      'connected',
    );
    await waitFor(
      async () => (await routesIn(r1, 'active')) === AGENTS * SERVICES,
      'every route active on r1',
    );

    await r2.proc.stop('SIGKILL');
    // The agents stay away until r1 has seen r2 fall silent: every agent offline, every route stale, none lost.
    await waitFor(
      async () => (await routesIn(r1, 'stale')) === AGENTS * SERVICES,
      'every route stale on r1',
      {
        timeoutMs: 15_000,
        intervalMs: 100,
      },
    );
    const offline = await listAll<{ status: string }>(r1, '/api/v1/agents', 'agents');
    expect(offline.filter((a) => a.status === 'offline')).toHaveLength(AGENTS);

    await call({ cmd: 'failover', url: r1.mqttUrl, spreadMs: 1_000 }, 'failedOver');
    await waitFor(
      async () => (await routesIn(r1, 'active')) === AGENTS * SERVICES,
      'every route active again',
      {
        timeoutMs: 30_000,
        intervalMs: 100,
      },
    );
    // Each came back unchanged and r1 held its routes (from the fabric): resumed in sync, none asked to resync.
    expect(await metric(r1, /^tether_resumes_total\{outcome="in-sync"\} (\d+)$/m)).toBe(AGENTS);
    expect(await metric(r1, /^tether_resumes_total\{outcome="resync"\} (\d+)$/m)).toBe(0);
    const listed = await listAll<{ status: string; routeCount: number }>(r1, '/api/v1/agents', 'agents');
    expect(listed.filter((a) => a.status === 'online' && a.routeCount === SERVICES)).toHaveLength(AGENTS);

    await r1.proc.stop('SIGKILL');
    const db = openDatabase(join(r1.dataDir, 'tether.db'));
    try {
      const rows = db
        .prepare<[], { n: number; keys: number; active: number }>(
          "SELECT count(*) AS n, count(DISTINCT key) AS keys, sum(state = 'active') AS active FROM routes",
        )
        .get();
      expect(rows).toEqual({ n: AGENTS * SERVICES, keys: AGENTS * SERVICES, active: AGENTS * SERVICES });
    } finally {
      db.close();
    }
  }, 90_000);
});
