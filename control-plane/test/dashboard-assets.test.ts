import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFrontDoor, createRoutedApp, defineRoute } from '@tether/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardRoutes, loadAssets } from '../src/http/dashboard-assets.js';
import type { ApiRoute } from '../src/index.js';
import { tempDir } from './helpers.js';

describe('dashboard assets', () => {
  const { dir, cleanup } = tempDir();
  afterAll(cleanup);
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(dir, 'assets', 'index-AbC123.js'), 'console.log(1)');
  writeFileSync(join(dir, 'favicon.svg'), '<svg/>');
  const api = defineRoute({
    method: 'get',
    path: '/api/v1/agents',
    access: 'read',
    tag: 'agents',
    summary: 'agents',
    responses: {},
    handle: (c) => c.json({ agents: [] }),
  });
  // Served as the control plane serves them: a front door over a routed app, on node:http.
  const serve = async (routes: ApiRoute[]) => {
    const authorize = () => undefined;
    const app = createRoutedApp(routes, { authorize, onInternalError: () => undefined });
    const server: Server = createServer(createFrontDoor({ routes, app, authorize }).request);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    servers.push(server);
    return { request: (path: string, init?: RequestInit) => fetch(base + path, init) };
  };
  const servers: Server[] = [];
  afterAll(() => servers.forEach((s) => s.close()));
  let app: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => (app = await serve([api, ...dashboardRoutes(loadAssets(dir))])));

  it('serves the page at / with no-cache, an ETag and a strict CSP', async () => {
    const res = await app.request('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    const etag = res.headers.get('etag')!;
    expect((await app.request('/', { headers: { 'if-none-match': etag } })).status).toBe(304);
  });

  it('serves hashed assets as immutable with their content type', async () => {
    const res = await app.request('/assets/index-AbC123.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toContain('immutable');
    expect(await res.text()).toBe('console.log(1)');
    expect((await app.request('/favicon.svg')).headers.get('content-type')).toBe('image/svg+xml');
  });

  it('answers its own pages with the page, and nothing else: unknown paths are JSON 404s', async () => {
    const deep = await app.request('/agents/edge-1');
    expect(deep.status).toBe(200);
    expect(await deep.text()).toContain('<!doctype html>');
    expect((await app.request('/api/v1/agents')).status).toBe(200);
    expect((await app.request('/api')).status).toBe(200);
    for (const path of [
      '/api/v1/nope',
      '/agents/a/b',
      '/nope',
      '/x.php',
      '/call/svc/x',
      '/metrics',
      '/mqtt',
      '/healthz',
    ]) {
      const res = await app.request(path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type'), path).toContain('application/json');
    }
    // A missing file is a 404, not the page.
    expect((await app.request('/assets/missing-123.js')).status).toBe(404);
  });

  it('says how to build it when it is missing', async () => {
    const bare = await serve(dashboardRoutes(new Map()));
    const res = await bare.request('/');
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('pnpm build');
  });
});
