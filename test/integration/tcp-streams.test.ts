import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAll } from '../helpers/processes.js';
import { parseMetrics, sampleValue } from '../helpers/prometheus.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { holdRedisCli, redisCli } from '../helpers/redis-cli.js';
import { startControlPlane, startEdge, type ControlPlane, type Edge } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

interface ListenerView {
  port: number;
  service: string;
  connections: number;
}

/** Resolves once the socket is closed, telling whether it was reset (an error) rather than ended cleanly. */
function closed(socket: Socket): Promise<{ error: string | undefined }> {
  return new Promise((resolve) => {
    let error: string | undefined;
    socket.on('error', (err: NodeJS.ErrnoException) => (error = err.code ?? err.message));
    socket.once('close', () => resolve({ error }));
  });
}

/** A raw connection to `port`, once connected. */
async function dial(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

/** Sends a RESP PING on `socket` and waits for +PONG. */
async function ping(socket: Socket): Promise<void> {
  const pong = new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      if (d.toString().includes('PONG')) {
        socket.off('data', onData);
        resolve();
      }
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error('closed before PONG')));
  });
  socket.write('PING\r\n');
  await pong;
}

/**
 * A raw TCP service: answers `got N` once the client half-closed (then ends its side), or, while `paused`, reads
 * nothing at all (a slow reader), counting what it read.
 */
interface RawService {
  port: number;
  server: Server;
  /** Sockets of the slow reader, not read from until resumed. */
  held: Socket[];
  read: { bytes: number };
}

async function startRawService(slow: boolean): Promise<RawService> {
  const held: Socket[] = [];
  const read = { bytes: 0 };
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    let n = 0;
    if (slow) {
      socket.pause();
      held.push(socket);
    }
    socket.on('data', (d: Buffer) => {
      n += d.byteLength;
      read.bytes += d.byteLength;
    });
    socket.on('end', () => socket.end(`got ${n}`));
    socket.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, server, held, read };
}

// Real redis-server and redis-cli (Debian redis-server, redis-tools) across sites through Tether listeners: the
// control plane's (a central client to an edge Redis) and an agent's (an edge app to a central Redis).
describe('TCP services through the tunnel', () => {
  let cp: ControlPlane;
  let edgeA: Edge;
  let edgeB: Edge;
  let edgeRedis: RedisServer;
  let centralRedis: RedisServer;
  let cpPort: number;
  let halfClose: RawService;
  let slowReader: RawService;

  const activeRoute = (service: string) =>
    waitFor(async () => {
      const res = await cp.api<{ routes: { state: string }[] }>(`/api/v1/routes?service=${service}`);
      return res.body.routes.some((r) => r.state === 'active');
    }, `an active route for ${service}`);

  const addListener = async (service: string): Promise<number> => {
    const res = await cp.api<ListenerView>('/api/v1/listeners', {
      method: 'POST',
      body: JSON.stringify({ service, port: 0 }),
    });
    expect(res.status).toBe(201);
    return res.body.port;
  };

  const agentListener = async (edge: Edge, service: string): Promise<number> => {
    const res = await edge.api<{ listeners: ListenerView[] }>('/v1/listeners');
    const found = res.body.listeners.find((l) => l.service === service);
    if (!found) throw new Error(`no listener for ${service} on ${edge.id}`);
    return found.port;
  };

  beforeAll(async () => {
    [edgeRedis, centralRedis] = await Promise.all([startRedis(), startRedis()]);
    [halfClose, slowReader] = await Promise.all([startRawService(false), startRawService(true)]);
    cp = await startControlPlane({
      config: { services: [{ name: 'central-redis', url: `tcp://127.0.0.1:${centralRedis.port}` }] },
    });
    const [a, b] = await Promise.all([cp.addAgent('edge-a'), cp.addAgent('edge-b')]);
    [edgeA, edgeB] = await Promise.all([
      startEdge({
        id: 'edge-a',
        secret: a,
        url: cp.mqttUrl,
        services: {
          'edge-redis': `tcp://127.0.0.1:${edgeRedis.port}`,
          'half-close': `tcp://127.0.0.1:${halfClose.port}`,
          'slow-reader': `tcp://127.0.0.1:${slowReader.port}`,
        },
      }),
      startEdge({
        id: 'edge-b',
        secret: b,
        url: cp.mqttUrl,
        args: ['--listen', 'central-redis=127.0.0.1:0', '--listen', 'edge-redis=0'],
      }),
    ]);
    await activeRoute('edge-redis');
    cpPort = await addListener('edge-redis');
  });

  afterAll(async () => {
    await stopAll();
    await Promise.all([edgeRedis?.kill(), centralRedis?.kill()]);
    for (const raw of [halfClose, slowReader]) {
      for (const socket of raw?.held ?? []) socket.destroy();
      raw?.server.close();
    }
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
    const port = await addListener('edge-redis');
    const socket = await dial(port);
    await ping(socket);
    const end = closed(socket);
    const del = await cp.api(`/api/v1/listeners/${port}`, { method: 'DELETE' });
    expect(del.status).toBe(204);
    expect((await end).error).toBe('ECONNRESET');
    await expect(dial(port)).rejects.toThrow(/ECONNREFUSED/);
  });

  it("resets a revoked agent's streams at once", async () => {
    const secret = await cp.addAgent('edge-r');
    const redis = await startRedis();
    try {
      await startEdge({
        id: 'edge-r',
        secret,
        url: cp.mqttUrl,
        services: { 'r-redis': `tcp://127.0.0.1:${redis.port}` },
      });
      await activeRoute('r-redis');
      const port = await addListener('r-redis');
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

  it('carries a half-close: the client ends its side and still reads the answer', async () => {
    await activeRoute('half-close');
    const port = await addListener('half-close');
    const socket = await dial(port);
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    const end = closed(socket);
    socket.end(Buffer.alloc(1024 * 1024, 7));
    expect((await end).error).toBeUndefined();
    expect(answer).toBe(`got ${1024 * 1024}`);
  });

  it('holds a fast sender to the window while the service reads nothing, then delivers every byte', async () => {
    await activeRoute('slow-reader');
    const port = await addListener('slow-reader');
    const toAgent = async () =>
      sampleValue(
        parseMetrics(await cp.fetch('/metrics').then((r) => r.text())),
        'tether_tunnel_stream_bytes_total',
        {
          direction: 'to_agent',
        },
      );
    const before = await toAgent();
    const total = 48 * 1024 * 1024;
    const socket = await dial(port);
    socket.on('error', () => undefined);
    socket.write(Buffer.alloc(total, 1));
    // Wait until the hub stops sending (three equal readings in a row), bounded.
    let last = -1;
    let same = 0;
    for (let i = 0; i < 100 && same < 3; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const now = await toAgent();
      same = now === last ? same + 1 : 0;
      last = now;
    }
    expect(same).toBe(3);
    // What crossed the tunnel is the stream window plus the kernel's socket buffers, not the 48 MiB sent.
    expect(last - before).toBeLessThan(16 * 1024 * 1024);
    expect(slowReader.read.bytes).toBe(0);
    for (const held of slowReader.held) held.resume();
    await waitFor(() => slowReader.read.bytes === total, 'every byte to arrive once the reader reads');
    socket.destroy();
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

describe('the per-agent cap on open streams', () => {
  afterAll(async () => {
    await stopAll();
  });

  it('refuses a stream over limits.agentStreams with too_busy: the client is reset, the others go on', async () => {
    const redis = await startRedis();
    try {
      const cp = await startControlPlane({ config: { limits: { agentStreams: 2 } } });
      const secret = await cp.addAgent('edge-cap');
      await startEdge({
        id: 'edge-cap',
        secret,
        url: cp.mqttUrl,
        services: { 'cap-redis': `tcp://127.0.0.1:${redis.port}` },
      });
      await waitFor(async () => {
        const res = await cp.api<{ routes: { state: string }[] }>('/api/v1/routes?service=cap-redis');
        return res.body.routes.some((r) => r.state === 'active');
      }, 'the cap-redis route');
      const res = await cp.api<ListenerView>('/api/v1/listeners', {
        method: 'POST',
        body: JSON.stringify({ service: 'cap-redis', port: 0 }),
      });
      const [first, second] = [await dial(res.body.port), await dial(res.body.port)];
      await Promise.all([ping(first), ping(second)]);
      // Refused at once: the reset may even beat the client's own 'connect'.
      const third = connect(res.body.port, '127.0.0.1');
      expect((await closed(third)).error).toBe('ECONNRESET');
      await ping(first);
      const metrics = parseMetrics(await cp.fetch('/metrics').then((r) => r.text()));
      expect(
        sampleValue(metrics, 'tether_tunnel_stream_opens_refused_total', { reason: 'too_busy' }),
      ).toBeGreaterThan(0);
      first.destroy();
      second.destroy();
    } finally {
      await redis.kill();
    }
  });
});
