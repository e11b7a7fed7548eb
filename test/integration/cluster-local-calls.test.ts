import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEchoService, type EchoService } from '../helpers/echo-service.js';
import { stopAll } from '../helpers/processes.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { startControlPlane, startEdge, type ControlPlane, type Edge } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

// A replica of a cluster carries the calls of an agent connected to it itself: the tunnel's messages both ways go
// between the agent's socket and the hub's endpoint in the process, never through Redis (docs/cluster.md). Real
// processes; Redis is frozen (SIGSTOP) while the calls are made, so a message sent through it would never arrive.
describe('calls of an agent connected to this replica, with Redis frozen', () => {
  let redis: RedisServer;
  let echo: EchoService;
  let r1: ControlPlane;
  let edge: Edge;
  let frozen = false;
  const thaw = (): void => {
    if (frozen) process.kill(redis.pid()!, 'SIGCONT');
    frozen = false;
  };

  beforeAll(async () => {
    redis = await startRedis();
    echo = await startEchoService();
    r1 = await startControlPlane({
      args: ['--redis-url', redis.url, '--replica-id', 'r1'],
      config: { services: [{ name: 'central-echo', url: echo.url }] },
    });
    edge = await startEdge({
      id: 'edge-1',
      secret: await r1.addAgent('edge-1'),
      url: r1.mqttUrl,
      services: { 'echo-1': echo.url },
    });
    await waitFor(async () => (await r1.fetch('/call/echo-1/ready')).status === 200, 'the edge route');
  }, 60_000);

  afterAll(async () => {
    thaw();
    await stopAll();
    await echo?.close();
    await redis?.kill();
  });

  it('a central client reaches the edge service, and the edge app the central service, while Redis is frozen', async () => {
    process.kill(redis.pid()!, 'SIGSTOP');
    frozen = true;
    try {
      const down = await r1.fetch('/call/echo-1/while/frozen', {
        method: 'POST',
        body: 'to the edge',
        headers: { 'x-tether-timeout': '3000' },
      });
      expect(down.status).toBe(200);
      expect(await down.text()).toContain('to the edge');
      const up = await edge.api('/call/central-echo/while/frozen', {
        headers: { 'x-tether-timeout': '3000' },
      });
      expect(up.status).toBe(200);
    } finally {
      thaw();
    }
  });
});
