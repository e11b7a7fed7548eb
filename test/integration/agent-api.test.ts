import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEchoService, type EchoService } from '../helpers/echo-service.js';
import { AGENT_BIN, runNode, stopAll } from '../helpers/processes.js';
import { counter } from '../helpers/cli.js';
import { rawHttp } from '../helpers/raw-http.js';
import { startControlPlane, startEdge, type ControlPlane, type Edge } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

/** Debian's Chromium (`.ci/run` installs it when missing); TETHER_CHROMIUM overrides the path. */
const CHROMIUM = process.env.TETHER_CHROMIUM ?? '/usr/bin/chromium';
const API_TOKEN = 'local-api-token-0123456789';

/** A page on another origin that tries what a hostile site would against the agent's local API. */
function hostilePage(agent: string): string {
  return `<!doctype html><title>hostile</title>
<script>
  fetch('${agent}/v1/services', { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' },
    body: JSON.stringify({ name: 'evil-nocors', url: 'http://127.0.0.1:1' }) }).catch(() => {});
  fetch('${agent}/v1/services', { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'evil-cors', url: 'http://127.0.0.1:1' }) }).catch(() => {});
  fetch('${agent}/v1/reports/evil', { method: 'POST', mode: 'no-cors', body: '{"stolen":1}' }).catch(() => {});
</script>
<img src="${agent}/call/edge-echo/stolen-by-img">
<form id="f" method="POST" action="${agent}/v1/reports/evil-form" enctype="text/plain" target="sink">
  <input name='{"a":"' value='"}'></form><iframe name="sink"></iframe>
<script>document.getElementById('f').submit()</script>`;
}

describe("the agent's local API: no cross-site writes, no rebinding, an optional token", () => {
  let cp: ControlPlane;
  let echo: EchoService;
  let edge: Edge;
  let locked: Edge;
  const port = (e: Edge) => new URL(e.apiBase).port;

  beforeAll(async () => {
    echo = await startEchoService();
    cp = await startControlPlane({ config: { services: [{ name: 'central-echo', url: echo.url }] } });
    edge = await startEdge({
      id: 'edge-1',
      secret: await cp.addAgent('edge-1'),
      url: cp.mqttUrl,
      services: { 'edge-echo': echo.url },
    });
    locked = await startEdge({
      id: 'edge-2',
      secret: await cp.addAgent('edge-2'),
      url: cp.mqttUrl,
      args: ['--api-token', API_TOKEN, '--api-allow-origin', 'http://localhost:3000'],
    });
    await waitFor(
      async () =>
        (await edge.api<{ routes: { service: string }[] }>('/v1/routes')).body.routes.some(
          (r) => r.service === 'central-echo',
        ),
      'central route at the edge',
    );
  });
  afterAll(async () => {
    await stopAll();
    await echo?.close();
  });

  const services = async (e: Edge) =>
    (await rawHttp(e.apiBase, { target: '/v1/services', headers: { authorization: `Bearer ${API_TOKEN}` } }))
      .body;

  it('refuses a cross-origin write (text/plain, any Origin not allowed) and registers nothing', async () => {
    for (const origin of ['http://evil.example', 'null', 'http://127.0.0.1:1']) {
      const res = await rawHttp(edge.apiBase, {
        method: 'POST',
        target: '/v1/services',
        headers: { origin, 'content-type': 'text/plain' },
        body: JSON.stringify({ name: 'evil', url: 'http://127.0.0.1:1' }),
      });
      expect(res.status, origin).toBe(403);
      expect((JSON.parse(res.body) as { error: { message: string } }).error.message).toContain(
        '--api-allow-origin',
      );
    }
    const fetchSite = await rawHttp(edge.apiBase, {
      target: '/call/edge-echo/x',
      headers: { 'sec-fetch-site': 'cross-site' },
    });
    expect(fetchSite.status).toBe(403);
    expect(await services(edge)).not.toContain('evil');
  });

  it('answers only to Host names of this machine (DNS rebinding)', async () => {
    for (const host of ['evil.example', `evil.example:${port(edge)}`, '127.0.0.1.evil.example', '']) {
      const res = await rawHttp(edge.apiBase, { target: '/v1/status', headers: { host } });
      expect(res.status, host).toBe(403);
    }
    for (const host of ['localhost', `localhost:${port(edge)}`, `127.0.0.1:${port(edge)}`, '[::1]'])
      expect((await rawHttp(edge.apiBase, { target: '/v1/status', headers: { host } })).status, host).toBe(
        200,
      );
  });

  it('takes JSON writes only as application/json, from local clients and allowed origins', async () => {
    const post = (e: Edge, headers: Record<string, string>, name: string) =>
      rawHttp(e.apiBase, {
        method: 'POST',
        target: '/v1/services',
        headers,
        body: JSON.stringify({ name, url: echo.url }),
      });
    expect((await post(edge, { 'content-type': 'text/plain' }, 'plain')).status).toBe(415);
    expect((await post(edge, {}, 'none')).status).toBe(415);
    expect((await post(edge, { 'content-type': 'application/json' }, 'local-json')).status).toBe(201);
    const auth = { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' };
    expect((await post(locked, { ...auth, origin: 'http://localhost:3000' }, 'from-dev-page')).status).toBe(
      201,
    );
    expect((await post(locked, { ...auth, origin: 'http://localhost:3001' }, 'other-page')).status).toBe(403);
    expect(await services(locked)).toContain('from-dev-page');
  });

  it('refuses dot segments and encoded slashes on its /call as the hub does', async () => {
    const before = echo.seen.length;
    for (const target of [
      '/call/central-echo/../../v1/status',
      '/call/central-echo/%2e%2e/x',
      '/call/central-echo/a%2Fb',
    ])
      expect((await rawHttp(edge.apiBase, { target })).status, target).toBe(400);
    expect(echo.seen.length).toBe(before);
    const ok = await rawHttp(edge.apiBase, { target: '/call/central-echo/%41b' });
    expect(ok.status).toBe(200);
    expect((JSON.parse(ok.headers['x-echo-info']!) as { url: string }).url).toBe('/Ab');
  });

  it('with --api-token, needs the token everywhere but /healthz; `tether-agent report` sends it', async () => {
    expect((await rawHttp(locked.apiBase, { target: '/healthz' })).status).toBe(200);
    for (const target of ['/v1/status', '/v1/services', '/metrics', '/call/central-echo/x']) {
      const res = await rawHttp(locked.apiBase, { target });
      expect(res.status, target).toBe(401);
      expect(res.headers['www-authenticate']).toContain('Bearer');
    }
    const wrong = await rawHttp(locked.apiBase, {
      target: '/v1/status',
      headers: { authorization: 'Bearer nope-nope-nope-nope' },
    });
    expect(wrong.status).toBe(401);
    const refused = await runNode(
      [AGENT_BIN, 'report', 'metrics', '--api', locked.apiBase],
      {},
      20_000,
      '{"t":1}\n',
    );
    expect(refused.stdout).toContain('401');
    const sent = await runNode(
      [AGENT_BIN, 'report', 'metrics', '--api', locked.apiBase],
      { TETHER_API_TOKEN: API_TOKEN },
      20_000,
      '{"t":1}\n{"t":2}\n',
    );
    expect(JSON.parse(sent.stdout)).toEqual({ stream: 'metrics', accepted: 2 });
  });

  it('`tether-agent report` with no agent listening says so', async () => {
    const res = await runNode(
      [AGENT_BIN, 'report', 'metrics', '--api', 'http://127.0.0.1:9'],
      {},
      20_000,
      '{"t":1}\n',
    );
    expect((JSON.parse(res.stdout) as { error: string }).error).toContain(
      'no agent API is listening at http://127.0.0.1:9',
    );
  });

  describe('a hostile page open in a real browser on the device (headless Chromium)', () => {
    let browser: Browser;
    let site: Server;
    beforeAll(async () => {
      site = createServer((_req, res) =>
        res.writeHead(200, { 'content-type': 'text/html' }).end(hostilePage(edge.apiBase)),
      );
      await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    });
    afterAll(async () => {
      await browser?.close();
      site?.close();
    });

    it('reaches the agent, and every one of its requests is refused: no service, no report, no call', async () => {
      const refusals = async () =>
        counter(
          (await rawHttp(edge.apiBase, { target: '/metrics' })).body,
          'tether_agent_api_refusals_total',
          'reason="screen"',
        );
      const before = await refusals();
      const seen = echo.seen.length;
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${(site.address() as AddressInfo).port}/`);
      // Five requests leave the page (no-cors POST, CORS preflight or POST, report POST, image, form).
      await waitFor(async () => (await refusals()) - before >= 4, 'the browser’s requests reached the agent');
      await page.close();
      expect(await services(edge)).not.toContain('evil');
      const status = JSON.parse((await rawHttp(edge.apiBase, { target: '/v1/status' })).body) as {
        outbox: { streams?: number; pending?: number };
      };
      expect(JSON.stringify(status.outbox)).not.toContain('evil');
      const reports = await cp.api<{ reports: unknown[] }>('/api/v1/reports?stream=evil');
      expect(reports.body.reports).toEqual([]);
      expect(echo.seen.slice(seen).map((s) => s.url)).not.toContain('/stolen-by-img');
    });
  });
});
