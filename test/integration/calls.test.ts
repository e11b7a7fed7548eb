import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tunnelUpTopic } from '@tether/shared';
import { startEchoService, type EchoInfo, type EchoService } from '../helpers/echo-service.js';
import { connectRaw, publishRaw } from '../helpers/mqtt-client.js';
import { stopAll } from '../helpers/processes.js';
import { startControlPlane, startEdge, type ControlPlane, type Edge } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

// Calls through the network, real processes: central client -> gateway -> tunnel -> agent -> edge service,
// and edge app -> agent /call -> tunnel -> hub -> central service.
describe('calls through the tunnel', () => {
  let cp: ControlPlane;
  let edgeA: Edge;
  let echo: EchoService;
  const binary = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7) % 256);

  const activeRoute = (service: string) =>
    waitFor(async () => {
      const res = await cp.api<{ routes: { state: string }[] }>(`/api/v1/routes?service=${service}`);
      return res.body.routes.some((r) => r.state === 'active');
    }, `an active route for ${service}`);

  const info = (res: Response): EchoInfo => JSON.parse(res.headers.get('x-echo-info') ?? 'null') as EchoInfo;
  const errorOf = async (res: Response) =>
    ((await res.json()) as { error: { code: string; message: string } }).error;

  beforeAll(async () => {
    echo = await startEchoService();
    cp = await startControlPlane({
      config: { services: [{ name: 'central-echo', url: `${echo.url}/base` }] },
    });
    const [a, b] = await Promise.all([cp.addAgent('edge-a'), cp.addAgent('edge-b')]);
    [edgeA] = await Promise.all([
      startEdge({ id: 'edge-a', secret: a, url: cp.mqttUrl, services: { 'edge-echo': echo.url } }),
      startEdge({ id: 'edge-b', secret: b, url: cp.mqttUrl, services: { 'b-only': echo.url } }),
    ]);
    await activeRoute('edge-echo');
    await activeRoute('b-only');
  });

  afterAll(async () => {
    await stopAll();
    await echo?.close();
  });

  it('carries a central client call to an edge service: method, path, query, headers, binary body, status', async () => {
    const res = await cp.fetch(`/call/edge-echo/some/path?x=1&y=two&status=201`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-test', 'x-custom': 'v1', 'x-tether-caller': 'forged' },
      body: binary,
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toBe('application/x-test');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(binary);
    const seen = info(res);
    expect(seen.method).toBe('POST');
    expect(seen.url).toBe('/some/path?x=1&y=two&status=201');
    expect(seen.headers['x-custom']).toBe('v1');
    // The admin token's identity, never the client's own header nor the token itself.
    expect(seen.headers['x-tether-caller']).toBe('central:bootstrap-admin');
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.headers['x-tether-hops']).toBe('1');
  });

  it('carries an edge app call to a central service through the agent /call', async () => {
    const res = await fetch(`${edgeA.apiBase}/call/central-echo/p?q=%C3%A9&status=418`, {
      method: 'PUT',
      headers: { 'x-custom': 'v2', 'x-tether-caller': 'forged' },
      body: binary,
    });
    expect(res.status).toBe(418);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(binary);
    const seen = info(res);
    expect(seen.method).toBe('PUT');
    expect(seen.url).toBe('/base/p?q=%C3%A9&status=418');
    expect(seen.headers['x-custom']).toBe('v2');
    expect(seen.headers['x-tether-caller']).toBe('edge-a');
    expect(seen.headers['x-tether-hops']).toBe('1');
  });

  it('carries GET without a body and a 204', async () => {
    const res = await cp.fetch(`/call/edge-echo/x?status=204`);
    expect(res.status).toBe(204);
    expect(info(res).method).toBe('GET');
  });

  it('streams server-sent events as they are produced', async () => {
    const res = await cp.fetch(`/call/edge-echo/sse`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader() as ReadableStreamDefaultReader<Uint8Array>;
    const decoder = new TextDecoder();
    let text = '';
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${needle}`);
        text += decoder.decode(value, { stream: true });
      }
    };
    // The service writes event 2 only after the client saw event 1: it must arrive before the response ends.
    await readUntil('data: 1');
    expect(text).not.toContain('data: 2');
    echo.releaseNext();
    await readUntil('data: 2');
    echo.releaseNext();
    await readUntil('data: 3');
  });

  it('answers 504 when the deadline passes, and the edge service sees the call cancelled', async () => {
    const res = await cp.fetch(`/call/edge-echo/hang`, { headers: { 'x-tether-timeout': '300' } });
    expect(res.status).toBe(504);
    expect((await errorOf(res)).code).toBe('timeout');
    await waitFor(() => echo.hanging() === 0, 'the hanging request to be aborted');
  });

  it('answers 404 for an unknown service', async () => {
    const res = await cp.fetch(`/call/nope/x`);
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe('route_not_found');
    const fromEdge = await fetch(`${edgeA.apiBase}/call/nope/x`);
    expect(fromEdge.status).toBe(404);
  });

  it('refuses an edge calling another edge service with 403', async () => {
    const res = await fetch(`${edgeA.apiBase}/call/b-only/x`);
    expect(res.status).toBe(403);
    const error = await errorOf(res);
    expect(error.code).toBe('forbidden');
    expect(error.message).toContain('policy');
  });

  it('refuses a third hop with 508', async () => {
    const res = await cp.fetch(`/call/edge-echo/x`, { headers: { 'x-tether-hops': '2' } });
    expect(res.status).toBe(508);
    expect((await errorOf(res)).code).toBe('too_many_hops');
    const fromEdge = await fetch(`${edgeA.apiBase}/call/central-echo/x`, {
      headers: { 'x-tether-hops': '2' },
    });
    expect(fromEdge.status).toBe(508);
    // one hop in, the edge's call to central is the second and last allowed
    const second = await fetch(`${edgeA.apiBase}/call/central-echo/x`, { headers: { 'x-tether-hops': '1' } });
    expect(second.status).toBe(200);
    expect(info(second).headers['x-tether-hops']).toBe('2');
  });

  it('answers 503 agent_offline when the only agent with the service is gone, and the hub API still works', async () => {
    const secret = await cp.addAgent('edge-c');
    const edgeC = await startEdge({ id: 'edge-c', secret, url: cp.mqttUrl, services: { 'c-svc': echo.url } });
    await activeRoute('c-svc');
    const ok = await cp.fetch(`/call/c-svc/x`);
    expect(ok.status).toBe(200);
    await edgeC.proc.stop('SIGKILL');
    await waitFor(async () => {
      const res = await cp.api<{ routes: { state: string }[] }>('/api/v1/routes?service=c-svc');
      return res.body.routes.every((r) => r.state === 'stale');
    }, 'c-svc to go stale');
    const res = await cp.fetch(`/call/c-svc/x`);
    expect(res.status).toBe(503);
    expect((await errorOf(res)).code).toBe('agent_offline');
    expect((await cp.api('/healthz')).status).toBe(200);
  });

  it('counts and drops malformed tunnel frames without disturbing calls', async () => {
    const tunnelDrops = async () =>
      (await (await fetch(`${cp.apiBase}/metrics`)).text())
        .split('\n')
        .filter((l) => l.startsWith('tether_invalid_messages_total{reason="tunnel_'))
        .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    const before = await tunnelDrops();
    const secret = await cp.addAgent('raw-1');
    const conn = await connectRaw(cp.mqttUrl, 'raw-1', secret);
    if (!conn.ok) throw new Error(conn.error);
    const bad = [
      Buffer.from([1, 2, 3]),
      Buffer.from([9, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0]),
      Buffer.from([1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 2, 0x7b, 0x78]),
      Buffer.from([1, 3, 0, 0, 0, 1, 1, 0xff, 0, 0, 0]),
    ];
    for (const payload of bad)
      expect(await publishRaw(conn.client, tunnelUpTopic('raw-1'), payload)).toBeUndefined();
    await waitFor(
      async () => (await tunnelDrops()) >= before + bad.length,
      'the malformed frames to be counted',
    );
    const res = await cp.fetch(`/call/edge-echo/after`);
    expect(res.status).toBe(200);
    await conn.client.endAsync();
  });
});
