import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEchoService, type EchoService } from '../helpers/echo-service.js';
import { stopAll } from '../helpers/processes.js';
import { startControlPlane, startEdge, type ControlPlane } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

// The hub writes tunnel messages straight onto an agent's connection, whatever carries it: here MQTT over a
// WebSocket (`/mqtt` on the HTTP port), where a long message's head and payload leave as separate frames. Real
// processes.
describe('calls to an agent connected over MQTT on a WebSocket', () => {
  let echo: EchoService;
  let cp: ControlPlane;

  beforeAll(async () => {
    echo = await startEchoService();
    cp = await startControlPlane();
    await startEdge({
      id: 'ws-edge',
      secret: await cp.addAgent('ws-edge'),
      url: cp.wsUrl,
      services: { ws: echo.url },
    });
    await waitFor(async () => (await cp.fetch('/call/ws/ready')).status === 200, 'the route of the ws agent');
  }, 60_000);

  afterAll(async () => {
    await stopAll();
    await echo?.close();
  });

  it('carries short and long bodies both ways intact', async () => {
    for (const size of [10, 20_000, 300_000]) {
      const body = Buffer.alloc(size);
      for (let i = 0; i < size; i++) body[i] = (i * 7) % 256;
      const res = await cp.fetch('/call/ws/echo', { method: 'POST', body });
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(body)).toBe(true);
    }
  });
});
