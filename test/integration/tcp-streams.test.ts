import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAll } from '../helpers/processes.js';
import { parseMetrics, sampleValue } from '../helpers/prometheus.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { holdRedisCli, redisCli } from '../helpers/redis-cli.js';
import {
  activeRoute,
  addListener,
  closed,
  dial,
  listenToEdgeService,
  ping,
  type ListenerView,
} from '../helpers/tcp-listeners.js';
import { startControlPlane, startEdge, type ControlPlane, type Edge } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

// Real redis-server and redis-cli (Debian redis-server, redis-tools) across sites through Tether listeners: the
// control plane's (a central client to an edge Redis) and an agent's (an edge app to a central Redis). The flow
// control of a stream (half-close, a slow reader, the per-agent cap) is in tcp-stream-flow.test.ts.
describe('TCP services through the tunnel', () => {
  let cp: ControlPlane;
  let edgeA: Edge;
  let edgeB: Edge;
  let edgeRedis: RedisServer;
  let centralRedis: RedisServer;
  let cpPort: number;

  const agentListener = async (edge: Edge, service: string): Promise<number> => {
    const res = await edge.api<{ listeners: ListenerView[] }>('/v1/listeners');
    const found = res.body.listeners.find((l) => l.service === service);
    if (!found) throw new Error(`no listener for ${service} on ${edge.id}`);
    return found.port;
  };

  beforeAll(async () => {
    [edgeRedis, centralRedis] = await Promise.all([startRedis(), startRedis()]);
    cp = await startControlPlane({
      config: { services: [{ name: 'central-redis', url: `tcp://127.0.0.1:${centralRedis.port}` }] },
    });
    const [a, b] = await Promise.all([cp.addAgent('edge-a'), cp.addAgent('edge-b')]);
    [edgeA, edgeB] = await Promise.all([
      startEdge({
        id: 'edge-a',
        secret: a,
        url: cp.mqttUrl,
        services: { 'edge-redis': `tcp://127.0.0.1:${edgeRedis.port}` },
      }),
      startEdge({
        id: 'edge-b',
        secret: b,
        url: cp.mqttUrl,
        args: ['--listen', 'central-redis=127.0.0.1:0', '--listen', 'edge-redis=0'],
      }),
    ]);
    await activeRoute(cp, 'edge-redis');
    cpPort = await addListener(cp, 'edge-redis');
  });

  afterAll(async () => {
    await stopAll();
    await Promise.all([edgeRedis?.kill(), centralRedis?.kill()]);
  });

  it('carries redis-cli at the centre to redis-server at an edge through a control-plane listener', async () => {
    const set = await redisCli(cpPort, ['SET', 'greeting', 'hello from the centre']);
    expect(set.stdout.trim()).toBe('OK');
    // The value really is in the edge's Redis, and comes back through the listener.
    expect((await redisCli(edgeRedis.port, ['GET', 'greeting'])).stdout.trim()).toBe('hello from the centre');
    expect((await redisCli(cpPort, ['GET', 'greeting'])).stdout.trim()).toBe('hello from the centre');

    const listed = await cp.api<{ listeners: ListenerView[] }>('/api/v1/listeners');
    expect(listed.body.listeners).toContainEqual(
      expect.objectContaining({ port: cpPort, service: 'edge-redis', listening: true }),
    );
    const audit = await cp.api<{ entries: { kind: string }[] }>('/api/v1/audit?limit=50');
    expect(audit.body.entries.map((e) => e.kind)).toContain('listener-created');
  });

  it('carries a 10 MiB value both ways, byte for byte', async () => {
    // Hex keeps the value printable so that redis-cli's output compares as text.
    const value = randomBytes(5 * 1024 * 1024).toString('hex');
    const set = await redisCli(cpPort, ['-x', 'SET', 'big'], { input: Buffer.from(value) });
    expect(set.stdout.trim()).toBe('OK');
    expect((await redisCli(edgeRedis.port, ['STRLEN', 'big'])).stdout.trim()).toBe(String(value.length));
    const got = await redisCli(cpPort, ['GET', 'big']);
    expect(got.stdout.trim().length).toBe(value.length);
    expect(got.stdout.trim() === value).toBe(true);
  });

  it('carries an edge app to a central Redis through the agent listener (--listen)', async () => {
    const port = await agentListener(edgeB, 'central-redis');
    expect((await redisCli(port, ['SET', 'from-edge', 'b'])).stdout.trim()).toBe('OK');
    expect((await redisCli(centralRedis.port, ['GET', 'from-edge'])).stdout.trim()).toBe('b');
  });

  it("refuses an edge's listener to another edge's service (hub-and-spoke): the connection is reset", async () => {
    const port = await agentListener(edgeB, 'edge-redis');
    // Not awaiting 'connect': the hub's refusal may reset the connection before this process saw it connect.
    const socket = connect(port, '127.0.0.1');
    const end = closed(socket);
    socket.write('PING\r\n');
    // A reset: ECONNRESET, or EPIPE when the RST came in before the PING went out (a loaded test process).
    expect(['ECONNRESET', 'EPIPE']).toContain((await end).error);
    const refusedForbidden = async () =>
      sampleValue(
        parseMetrics(await fetch(`${edgeB.apiBase}/metrics`).then((r) => r.text())),
        'tether_agent_tunnel_stream_opens_refused_total',
        { reason: 'forbidden' },
      );
    await waitFor(async () => ((await refusedForbidden()) ?? 0) > 0, 'the refusal counted as forbidden');
  });

  it('answers an HTTP /call to a TCP service with what to do instead', async () => {
    const res = await cp.fetch('/call/edge-redis/');
    expect(res.status).toBeGreaterThanOrEqual(400);
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(/listener/);
  });

  it('deletes a listener: its port closes and its connections are reset', async () => {
    const port = await addListener(cp, 'edge-redis');
    const socket = await dial(port);
    await ping(socket);
    const end = closed(socket);
    const del = await cp.api(`/api/v1/listeners/${port}`, { method: 'DELETE' });
    expect(del.status).toBe(204);
    expect((await end).error).toBe('ECONNRESET');
    await expect(dial(port)).rejects.toThrow(/ECONNREFUSED/);
  });

  it("resets a revoked agent's streams at once", async () => {
    const redis = await startRedis();
    try {
      const port = await listenToEdgeService(cp, 'edge-r', 'r-redis', redis.port);
      const socket = await dial(port);
      await ping(socket);
      const end = closed(socket);
      const del = await cp.api('/api/v1/agents/edge-r', { method: 'DELETE' });
      expect(del.status).toBe(200);
      expect((await end).error).toBe('ECONNRESET');
    } finally {
      await redis.kill();
    }
  });

  it('holds MONITOR open across the tunnel; killing the agent mid-stream resets the client, never hangs it', async () => {
    const monitor = holdRedisCli(cpPort, ['MONITOR']);
    await waitFor(() => monitor.output().includes('OK'), 'MONITOR to start');
    await redisCli(edgeRedis.port, ['SET', 'watched', '1']);
    await waitFor(() => monitor.output().includes('"watched"'), 'MONITOR to show the SET');
    const metrics = parseMetrics(await cp.fetch('/metrics').then((r) => r.text()));
    expect(sampleValue(metrics, 'tether_tunnel_streams')).toBeGreaterThan(0);
    expect(
      sampleValue(metrics, 'tether_tunnel_stream_bytes_total', { direction: 'to_agent' }),
    ).toBeGreaterThan(10 * 1024 * 1024);

    await edgeA.proc.stop('SIGKILL');
    // redis-cli sees the connection go and exits (a hang would hit the test's timeout).
    await monitor.exited;
    expect(monitor.output()).toMatch(/closed|reset|Error/i);
  });
});
