import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAll } from '../helpers/processes.js';
import { parseMetrics, sampleValue } from '../helpers/prometheus.js';
import { startRedis } from '../helpers/redis.js';
import {
  activeRoute,
  addListener,
  closed,
  dial,
  listenToEdgeService,
  ping,
} from '../helpers/tcp-listeners.js';
import { startControlPlane, startEdge, type ControlPlane } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

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

/** Starts a raw TCP service on a free port; `slow`: it reads nothing until its held sockets are resumed. */
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

// A stream's flow control through a control-plane listener to an agent's raw TCP services: a half-close carried,
// a slow reader holding the sender to the window, and the per-agent cap on open streams.
describe('TCP stream flow control through the tunnel', () => {
  let cp: ControlPlane;
  let halfClose: RawService;
  let slowReader: RawService;

  beforeAll(async () => {
    [halfClose, slowReader] = await Promise.all([startRawService(false), startRawService(true)]);
    cp = await startControlPlane();
    const secret = await cp.addAgent('edge-a');
    await startEdge({
      id: 'edge-a',
      secret,
      url: cp.mqttUrl,
      services: {
        'half-close': `tcp://127.0.0.1:${halfClose.port}`,
        'slow-reader': `tcp://127.0.0.1:${slowReader.port}`,
      },
    });
  });

  afterAll(async () => {
    await stopAll();
    for (const raw of [halfClose, slowReader]) {
      for (const socket of raw?.held ?? []) socket.destroy();
      raw?.server.close();
    }
  });

  it('carries a half-close: the client ends its side and still reads the answer', async () => {
    await activeRoute(cp, 'half-close');
    const port = await addListener(cp, 'half-close');
    const socket = await dial(port);
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    const end = closed(socket);
    socket.end(Buffer.alloc(1024 * 1024, 7));
    expect((await end).error).toBeUndefined();
    expect(answer).toBe(`got ${1024 * 1024}`);
  });

  it('holds a fast sender to the window while the service reads nothing, then delivers every byte', async () => {
    await activeRoute(cp, 'slow-reader');
    const port = await addListener(cp, 'slow-reader');
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
});

describe('the per-agent cap on open streams', () => {
  afterAll(async () => {
    await stopAll();
  });

  it('refuses a stream over limits.agentStreams with too_busy: the client is reset, the others go on', async () => {
    const redis = await startRedis();
    try {
      const cp = await startControlPlane({ config: { limits: { agentStreams: 2 } } });
      const port = await listenToEdgeService(cp, 'edge-cap', 'cap-redis', redis.port);
      const [first, second] = [await dial(port), await dial(port)];
      await Promise.all([ping(first), ping(second)]);
      // Refused at once: the reset may even beat the client's own 'connect'.
      const third = connect(port, '127.0.0.1');
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
