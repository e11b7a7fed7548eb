import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { openDatabase } from '@tether/control-plane';
import { startEchoService, type EchoInfo, type EchoService } from '../helpers/echo-service.js';
import { AGENT_BIN, runNode, spawnNode, stopAll, tempDir } from '../helpers/processes.js';
import { openApiStream } from '../helpers/api-stream.js';
import { listAll } from '../helpers/pages.js';
import { runCp } from '../helpers/cli.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { allReports, postReports, storedCounts } from '../helpers/reports.js';
import { http, startControlPlane, startEdge, type ControlPlane, type Edge } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

interface AgentRow {
  id: string;
  status: string;
}
interface RouteRow {
  service: string;
  origin: string;
  state: string;
}

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// Two replicas on one Redis (docs/cluster.md), real processes. The steps share the cluster and run in order.
describe('replicas on one broker fabric', () => {
  let redis: RedisServer;
  let echo: EchoService;
  let r1: ControlPlane;
  let r2: ControlPlane;
  let edge1: Edge;

  const agentsOf = (cp: ControlPlane): Promise<AgentRow[]> => listAll(cp, '/api/v1/agents', 'agents');
  const routesOf = (cp: ControlPlane): Promise<RouteRow[]> => listAll(cp, '/api/v1/routes', 'routes');
  const view = async (cp: ControlPlane): Promise<string> => {
    const agents = (await agentsOf(cp)).map((a) => `${a.id}:${a.status}`).sort();
    const routes = (await routesOf(cp)).map((r) => `${r.service}@${r.origin}:${r.state}`).sort();
    return JSON.stringify({ agents, routes });
  };
  /** Both replicas show the same agents and routes, and `ok` holds of that view. */
  const sameView = (what: string, ok: (v: string) => boolean, timeoutMs = 10_000) =>
    waitFor(
      async () => {
        const [a, b] = await Promise.all([view(r1), view(r2)]);
        return a === b && ok(a) && a;
      },
      what,
      { timeoutMs, intervalMs: 50 },
    );

  beforeAll(async () => {
    redis = await startRedis();
    echo = await startEchoService();
    [r1, r2] = await Promise.all([
      startControlPlane({ args: ['--redis-url', redis.url, '--replica-id', 'r1'] }),
      startControlPlane({ args: ['--redis-url', redis.url, '--replica-id', 'r2'] }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await stopAll();
    await echo?.close();
    await redis?.kill();
  });

  it('an agent created on either replica authenticates on the other; both APIs show the same agents and routes', async () => {
    const [s1, s2] = [await r2.addAgent('edge-1'), await r1.addAgent('edge-2')];
    // edge-1 was created on r2 and dials r1 first (then r2); edge-2 was created on r1 and dials r2 only.
    [edge1] = await Promise.all([
      startEdge({
        id: 'edge-1',
        secret: s1,
        url: r1.mqttUrl,
        args: ['--control-plane', r2.mqttUrl],
        services: { 'echo-1': echo.url },
      }),
      startEdge({ id: 'edge-2', secret: s2, url: r2.mqttUrl, services: { 'echo-2': echo.url } }),
    ]);
    const seen = await sameView(
      'both replicas showing both agents online with active routes',
      (v) => v.includes('echo-1@edge-1:active') && v.includes('echo-2@edge-2:active'),
    );
    expect(seen).toContain('edge-1:online');
    expect(seen).toContain('edge-2:online');
    expect(seen).toContain('echo-1@edge-1:active');
    expect(seen).toContain('echo-2@edge-2:active');

    // A change on an agent (a new service on edge-2) reaches both APIs.
    const added = await edge1.api('/v1/services', {
      method: 'POST',
      body: JSON.stringify({ name: 'echo-1b', url: echo.url }),
    });
    expect(added.status).toBeLessThan(300);
    await sameView('the new route on both replicas', (v) => v.includes('echo-1b@edge-1:active'));
  }, 60_000);

  it('a call entering r1 reaches the agent connected to r2 with x-tether-hops <= 2', async () => {
    const res = await r1.fetch('/call/echo-2/over/the/fabric?x=1');
    expect(res.status).toBe(200);
    const seen = JSON.parse(res.headers.get('x-echo-info') ?? 'null') as EchoInfo;
    expect(seen.url).toBe('/over/the/fabric?x=1');
    expect(Number(seen.headers['x-tether-hops'])).toBeGreaterThanOrEqual(1);
    expect(Number(seen.headers['x-tether-hops'])).toBeLessThanOrEqual(2);
    // And the other way round: into r2, to edge-1 on r1.
    const back = await r2.fetch('/call/echo-1/back');
    expect(back.status).toBe(200);
  });

  it('a grant created on r1 is redeemed on r2 exactly once under 24 concurrent attempts', async () => {
    const created = await r1.api<{ grant: string }>('/api/v1/grants', { method: 'POST', body: '{}' });
    expect(created.status).toBe(201);
    const db = openDatabase(join(r2.dataDir, 'tether.db'));
    try {
      const unused = db.prepare<[], { n: number }>(
        'SELECT count(*) AS n FROM enrollment_grants WHERE used_at IS NULL',
      );
      await waitFor(() => unused.get()!.n === 1, 'the grant replicated to r2');
    } finally {
      db.close();
    }
    const attempts = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        fetch(`${(i % 4 === 0 ? r1 : r2).apiBase}/api/v1/enroll`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ v: 1, grant: created.body.grant }),
        }).then((r) => r.status),
      ),
    );
    expect(attempts.filter((s) => s === 201)).toHaveLength(1);
    expect(attempts.filter((s) => s !== 201 && s !== 409)).toEqual([]);
  });

  it('the same agent id created on both replicas at once: exactly one 201, the other 409', async () => {
    for (let round = 0; round < 3; round++) {
      const id = `twin-${round}`;
      const statuses = await Promise.all(
        [r1, r2].map(
          async (r) =>
            (await r.api('/api/v1/agents', { method: 'POST', body: JSON.stringify({ id }) })).status,
        ),
      );
      expect(statuses.sort()).toEqual([201, 409]);
    }
  });

  it("`tether-cp agent add --redis-url` on r1's data dir: one id in the cluster, the agent authenticates on r2", async () => {
    const add = (dataDir: string) =>
      runCp(['agent', 'add', 'edge-cli', '--data-dir', dataDir, '--redis-url', redis.url]);
    const first = await add(r1.dataDir);
    expect(first.code, first.stderr).toBe(0);
    const { secret } = JSON.parse(first.stdout.trim()) as { secret: string };
    // The same id from the other replica's data dir is refused: the claim is in Redis.
    expect((await add(r2.dataDir)).code).not.toBe(0);
    const edge = await startEdge({ id: 'edge-cli', secret, url: r2.mqttUrl });
    await sameView('edge-cli online on both replicas', (v) => v.includes('edge-cli:online'));
    await edge.proc.stop();
  }, 60_000);

  it('a token deleted on r1 closes the streams opened with it on r2 (4401), not the others there', async () => {
    const created = await r1.api<{ id: string; token: string }>('/api/v1/tokens', {
      method: 'POST',
      body: '{"role":"viewer","name":"cluster-viewer"}',
    });
    expect(created.status).toBe(201);
    const whoami = async () =>
      (await http(r2.apiBase, '/api/v1/whoami', {}, created.body.token)).status === 200;
    await waitFor(whoami, 'the token created on r1 accepted by r2');
    const doomed = await openApiStream(r2, '/api/v1/events', created.body.token);
    const kept = await openApiStream(r2, '/api/v1/events', r2.token);
    expect((await r1.api(`/api/v1/tokens/${created.body.id}`, { method: 'DELETE' })).status).toBe(204);
    const closed = await waitFor(() => doomed.closed, 'the stream on r2 of the token deleted on r1 to close');
    expect(closed).toEqual({ code: 4401, reason: 'token revoked' });
    expect(kept.closed).toBeUndefined();
    expect(kept.ws.readyState).toBe(WebSocket.OPEN);
    kept.ws.close();
  });

  it('an enrollment lists several replicas; `run --state-dir` fails over along that list', async () => {
    // r3 hands out a dead URL first, then r2's: the enrolled agent must end up on r2 from its state dir alone.
    const dead = `mqtt://127.0.0.1:${await closedPort()}`;
    const r3 = await startControlPlane({
      args: [
        '--redis-url',
        redis.url,
        '--replica-id',
        'r3',
        '--public-mqtt-url',
        dead,
        '--public-mqtt-url',
        r2.mqttUrl,
      ],
    });
    const grant = await r3.api<{ grant: string }>('/api/v1/grants', {
      method: 'POST',
      body: '{"id":"listed"}',
    });
    expect(grant.status).toBe(201);
    const stateDir = join(tempDir('tether-cluster-enroll-'), 'state');
    const enrolled = await runNode([
      AGENT_BIN,
      'enroll',
      '--control-plane',
      r3.apiBase,
      '--grant',
      grant.body.grant,
      '--state-dir',
      stateDir,
    ]);
    expect(enrolled.code, enrolled.stderr).toBe(0);
    const credential = JSON.parse(readFileSync(join(stateDir, 'credential.json'), 'utf8')) as {
      controlPlanes?: string[];
    };
    expect(credential.controlPlanes).toEqual([dead, r2.mqttUrl]);
    await r3.proc.stop();
    const agent = await spawnNode([AGENT_BIN, 'run', '--state-dir', stateDir, '--api-port', '0']);
    await waitFor(async () => {
      const { body } = await r2.api<{ status: string }>('/api/v1/agents/listed');
      return body.status === 'online';
    }, 'the enrolled agent online through the second URL of its list');
    await agent.stop();
  });

  it('kill -9 of r1: its agent is back on r2, no route lost, reports in flight stored exactly once', async () => {
    let accepted = 0;
    const produce = async (from: number, count: number): Promise<void> => {
      for (let i = 0; i < count; i += 50) {
        const lines = Array.from({ length: 50 }, (_, k) => ({ n: from + i + k }));
        const res = await postReports(edge1.apiBase, 'k', lines);
        expect(res.status).toBe(202);
        accepted += lines.length;
      }
    };
    const producing = produce(0, 1000);
    await new Promise((r) => setTimeout(r, 30));
    await r1.proc.stop('SIGKILL');
    await producing;
    await produce(1000, 500);
    await waitFor(
      async () => (await edge1.api<{ state: string }>('/v1/status')).body.state === 'connected',
      'edge-1 connected to r2',
      { timeoutMs: 15_000 },
    );
    await waitFor(
      async () => {
        const routes = await routesOf(r2);
        const mine = routes.filter((r) => r.origin === 'edge-1');
        return mine.length === 2 && mine.every((r) => r.state === 'active');
      },
      "edge-1's routes active on r2",
      { timeoutMs: 15_000 },
    );
    await waitFor(async () => (await storedCounts(r2, 'edge-1'))['k'] === accepted, 'every report on r2', {
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    const rows = (await allReports(r2, 'edge-1')).filter((r) => r.stream === 'k');
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: accepted }, (_, i) => i + 1));
    expect((await r2.fetch('/call/echo-1/after-failover')).status).toBe(200);
  }, 90_000);

  it('a Redis restart: /readyz says not ready meanwhile, the replica recovers on its own', async () => {
    await redis.kill();
    const down = await waitFor(async () => {
      const res = await fetch(`${r2.apiBase}/readyz`);
      return res.status === 503 && ((await res.json()) as { reason?: string });
    }, '/readyz not ready');
    expect(down.reason).toMatch(/redis/);
    // Calls to an agent on this replica still work without Redis.
    await redis.start();
    await waitFor(async () => (await fetch(`${r2.apiBase}/readyz`)).status === 200, '/readyz ready again', {
      timeoutMs: 20_000,
    });
    // The fabric works again: a new agent created now appears, and its call goes through.
    const secret = await r2.addAgent('edge-3');
    await startEdge({ id: 'edge-3', secret, url: r2.mqttUrl, services: { 'echo-3': echo.url } });
    await waitFor(
      async () => (await routesOf(r2)).some((r) => r.service === 'echo-3' && r.state === 'active'),
      'edge-3 routes',
    );
    expect((await r2.fetch('/call/echo-3/x')).status).toBe(200);
  }, 60_000);
});
