import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCountingProxy, type CountingProxy } from '../helpers/counting-proxy.js';
import { rssBytes, startEchoService, type EchoService } from '../helpers/echo-service.js';
import { stopAll, type Proc } from '../helpers/processes.js';
import { startControlPlane, startEdge, type ControlPlane, type Edge } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

const MiB = 1024 * 1024;

async function activeRoute(cp: ControlPlane, service: string): Promise<void> {
  await waitFor(async () => {
    const res = await cp.api<{ routes: { state: string }[] }>(`/api/v1/routes?service=${service}`);
    return res.body.routes.some((r) => r.state === 'active');
  }, `an active route for ${service}`);
}

/** Samples the RSS of processes every 20 ms while `work` runs; returns the largest growth over the start. */
async function rssGrowth(procs: Proc[], work: () => Promise<void>): Promise<number[]> {
  const pids = procs.map((p) => p.child.pid!);
  const base = await Promise.all(pids.map(rssBytes));
  const peak = [...base];
  const timer = setInterval(() => {
    void Promise.all(pids.map(rssBytes)).then((now) =>
      now.forEach((v, i) => (peak[i] = Math.max(peak[i]!, v))),
    );
  }, 20);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return peak.map((p, i) => p - base[i]!);
}

/** Streams the response body, returning its size and sha256. */
async function digestOf(res: Response): Promise<{ size: number; sha: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    size += chunk.byteLength;
  }
  return { size, sha: hash.digest('hex') };
}

describe('large bodies, limits and link failures', () => {
  let echo: EchoService;
  let cp: ControlPlane;
  let edge: Edge;
  let proxy: CountingProxy;

  beforeAll(async () => {
    echo = await startEchoService();
    cp = await startControlPlane({ config: { services: [{ name: 'central-echo', url: echo.url }] } });
    proxy = await startCountingProxy(Number(new URL(cp.mqttUrl).port));
    const secret = await cp.addAgent('edge-big');
    edge = await startEdge({
      id: 'edge-big',
      secret,
      url: `mqtt://127.0.0.1:${proxy.port}`,
      services: { 'edge-echo': echo.url },
    });
    await activeRoute(cp, 'edge-echo');
  });

  afterAll(async () => {
    await stopAll();
    await proxy?.close();
    await echo?.close();
  });

  it('carries 50 MiB each way in both directions without either process holding it', async () => {
    const body = randomBytes(50 * MiB);
    const sha = createHash('sha256').update(body).digest('hex');
    // warm up both paths so lazily loaded code and buffers are not counted as growth
    await (
      await cp.fetch(`/call/edge-echo/warm`, { method: 'POST', body: body.subarray(0, MiB) })
    ).arrayBuffer();
    await (
      await fetch(`${edge.apiBase}/call/central-echo/warm`, { method: 'POST', body: body.subarray(0, MiB) })
    ).arrayBuffer();
    for (const url of [`${cp.apiBase}/call/edge-echo/big`, `${edge.apiBase}/call/central-echo/big`]) {
      let got: { size: number; sha: string } | undefined;
      const growth = await rssGrowth([cp.proc, edge.proc], async () => {
        const res = await fetch(url, {
          method: 'POST',
          body,
          headers: { authorization: `Bearer ${cp.token}` },
        });
        expect(res.status).toBe(200);
        got = await digestOf(res);
      });
      expect(got).toEqual({ size: body.byteLength, sha });
      for (const g of growth) expect(g).toBeLessThan(64 * MiB);
    }
  });

  it('fails calls in flight with 503 tunnel_closed when the link drops, and works again after reconnect', async () => {
    const fromCentral = cp.fetch(`/call/edge-echo/hang`);
    const fromEdge = fetch(`${edge.apiBase}/call/central-echo/hang`);
    await waitFor(() => echo.hanging() === 2, 'both calls to reach the service');
    proxy.cut();
    const [a, b] = await Promise.all([fromCentral, fromEdge]);
    expect(a.status).toBe(503);
    expect(((await a.json()) as { error: { code: string } }).error.code).toBe('tunnel_closed');
    expect(b.status).toBe(503);
    expect(((await b.json()) as { error: { code: string } }).error.code).toBe('tunnel_closed');
    await waitFor(() => echo.hanging() === 0, 'the service to see both calls aborted');
    await waitFor(
      async () => (await fetch(`${edge.apiBase}/call/central-echo/x`)).status === 200,
      'edge calls after reconnect',
    );
    await activeRoute(cp, 'edge-echo');
    await waitFor(
      async () => (await cp.fetch(`/call/edge-echo/x`)).status === 200,
      'central calls after reconnect',
    );
  });

  it('refuses a body over --max-body with 413, at the gateway and for calls from an edge', async () => {
    const small = await startControlPlane({
      config: { services: [{ name: 'central-echo', url: echo.url }] },
      args: ['--max-body', '64KiB'],
    });
    const secret = await small.addAgent('edge-small');
    const smallEdge = await startEdge({
      id: 'edge-small',
      secret,
      url: small.mqttUrl,
      services: { 'edge-echo': echo.url },
    });
    await activeRoute(small, 'edge-echo');
    const big = new Uint8Array(200 * 1024);
    const res = await small.fetch(`/call/edge-echo/x`, { method: 'POST', body: big });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
    const fromEdge = await fetch(`${smallEdge.apiBase}/call/central-echo/x`, { method: 'POST', body: big });
    expect(fromEdge.status).toBe(413);
    const fits = await small.fetch(`/call/edge-echo/x`, {
      method: 'POST',
      body: big.subarray(0, 1000),
    });
    expect(fits.status).toBe(200);
  });
});
