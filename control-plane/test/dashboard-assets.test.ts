import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAssets, registerDashboard } from '../src/http/dashboard-assets.js';
import { tempDir } from './helpers.js';

describe('dashboard assets', () => {
  const { dir, cleanup } = tempDir();
  afterAll(cleanup);
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(dir, 'assets', 'index-AbC123.js'), 'console.log(1)');
  writeFileSync(join(dir, 'favicon.svg'), '<svg/>');
  const app = new Hono();
  app.get('/api/v1/agents', (c) => c.json({ agents: [] }));
  registerDashboard(app, loadAssets(dir));

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

  it('answers client routes with the page, but never API, gateway or metrics paths', async () => {
    const deep = await app.request('/agents/edge-1');
    expect(deep.status).toBe(200);
    expect(await deep.text()).toContain('<!doctype html>');
    expect((await app.request('/api/v1/agents')).status).toBe(200);
    for (const path of ['/api/v1/nope', '/api', '/call/svc/x', '/metrics', '/mqtt', '/healthz']) {
      const res = await app.request(path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type'), path).toContain('application/json');
    }
    // A missing file is a 404, not the page.
    expect((await app.request('/assets/missing-123.js')).status).toBe(404);
  });

  it('says how to build it when it is missing', async () => {
    const bare = new Hono();
    registerDashboard(bare, new Map());
    const res = await bare.request('/');
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('pnpm build');
  });
});
