import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAll } from '../helpers/processes.js';
import { startControlPlane, startEdge, type ControlPlane, type Edge } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

interface DyingService {
  url: string;
  server: Server;
  /** Drops the connection of every response it has started (each sent its head and 1 KiB). */
  cut(): void;
}

/** An HTTP service that sends a 200 head and 1 KiB of a longer body, then drops the connection when told. */
async function startDyingService(): Promise<DyingService> {
  const open = new Set<ServerResponse>();
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.write(Buffer.alloc(1024, 1));
    open.add(res);
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    server,
    cut: () => {
      for (const res of open) res.socket?.destroy();
      open.clear();
    },
  };
}

/** What a client sees: the 200 head, then (once the service dropped its connection) the body whole or cut. */
async function readBody(url: string, service: DyingService, token?: string): Promise<string> {
  const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  expect(res.status).toBe(200);
  service.cut(); // only now: a head and a failure that arrived together would make a 502, not a cut
  return res.arrayBuffer().then(
    (b) => `whole ${b.byteLength}`,
    () => 'cut',
  );
}

// A response that fails after its head went out can only be cut; both ends say why in their logs.
describe('responses cut after their head (real control plane, agent and services)', () => {
  let cp: ControlPlane;
  let edge: Edge;
  let central: DyingService;
  let atEdge: DyingService;

  beforeAll(async () => {
    [central, atEdge] = await Promise.all([startDyingService(), startDyingService()]);
    cp = await startControlPlane({ config: { services: [{ name: 'dies-central', url: central.url }] } });
    edge = await startEdge({
      id: 'edge-cut',
      secret: await cp.addAgent('edge-cut'),
      url: cp.mqttUrl,
      services: { 'dies-edge': atEdge.url },
    });
    await waitFor(async () => {
      const r = await cp.api<{ routes: { state: string }[] }>('/api/v1/routes?service=dies-edge');
      return r.body.routes.some((x) => x.state === 'active');
    }, 'the edge route');
  });

  afterAll(async () => {
    await stopAll();
    central?.server.close();
    atEdge?.server.close();
  });

  const WARNING = 'call failed after its response head was sent';
  /** The first warning about a cut response in a process's log (its stderr), once there is one. */
  async function cutWarning(proc: { stderr(): string }, who: string): Promise<unknown> {
    await waitFor(() => proc.stderr().includes(WARNING), `${who}'s warning`);
    const line = proc
      .stderr()
      .split('\n')
      .find((l) => l.includes(WARNING));
    return JSON.parse(line ?? '{}');
  }

  it('a central caller of an edge service: cut, and the control plane logs the service', async () => {
    expect(await readBody(`${cp.apiBase}/call/dies-edge/x`, atEdge, cp.token)).toBe('cut');
    expect(await cutWarning(cp.proc, 'the control plane')).toMatchObject({ service: 'dies-edge', level: 40 });
  });

  it('an edge app calling a central service through its agent: cut, and the agent logs it', async () => {
    expect(await readBody(`${edge.apiBase}/call/dies-central/x`, central)).toBe('cut');
    expect(await cutWarning(edge.proc, 'the agent')).toMatchObject({ service: 'dies-central', level: 40 });
  });
});
