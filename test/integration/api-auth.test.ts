import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createToken } from '../helpers/cli.js';
import { startEchoService, type EchoService } from '../helpers/echo-service.js';
import { stopAll } from '../helpers/processes.js';
import { http, startControlPlane, startEdge, type ControlPlane } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

/** Opens a WebSocket and resolves with the handshake status (101 when it opened) and the chosen subprotocol. */
function wsOpen(url: string, protocols: string[], headers: Record<string, string> = {}) {
  const ws = new WebSocket(url, protocols, { headers });
  ws.on('error', () => undefined);
  return new Promise<{ status: number; protocol: string; ws: WebSocket; wwwAuth?: string | undefined }>(
    (resolve) => {
      ws.once('unexpected-response', (_req, res) =>
        resolve({ status: res.statusCode ?? 0, protocol: '', ws, wwwAuth: res.headers['www-authenticate'] }),
      );
      ws.once('open', () => resolve({ status: 101, protocol: ws.protocol, ws }));
    },
  );
}

describe('API authorisation: bearer tokens with roles', () => {
  let cp: ControlPlane;
  let echo: EchoService;
  const tokens: Record<'viewer' | 'caller' | 'admin2', string> = { viewer: '', caller: '', admin2: '' };
  const as = (token: string | undefined, path: string, init: RequestInit = {}) =>
    http<{ error?: { code: string } }>(cp.apiBase, path, {
      ...init,
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });

  beforeAll(async () => {
    echo = await startEchoService();
    cp = await startControlPlane();
    // Created with the CLI on the data dir of the running server.
    tokens.viewer = await createToken(cp.dataDir, 'viewer', 'dash');
    tokens.caller = await createToken(cp.dataDir, 'caller', 'billing-app');
    const created = await cp.api<{ token: string; role: string }>('/api/v1/tokens', {
      method: 'POST',
      body: JSON.stringify({ role: 'admin', name: 'ops' }),
    });
    expect(created.status).toBe(201);
    tokens.admin2 = created.body.token;
    const secret = await cp.addAgent('edge-1');
    await startEdge({ id: 'edge-1', secret, url: cp.mqttUrl, services: { 'edge-echo': echo.url } });
    await waitFor(
      async () =>
        (await cp.api<{ routes: unknown[] }>('/api/v1/routes?service=edge-echo')).body.routes.length === 1,
      'edge-echo route',
    );
  });
  afterAll(async () => {
    await stopAll();
    await echo?.close();
  });

  it('answers 401 with www-authenticate: Bearer without a token or with an unknown one; probes stay public', async () => {
    for (const token of [undefined, 'tether_not-a-real-token', 'garbage']) {
      const res = await fetch(`${cp.apiBase}/api/v1/agents`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    }
    const call = await fetch(`${cp.apiBase}/call/edge-echo/x`, { method: 'POST', body: 'x' });
    expect(call.status).toBe(401);
    expect(call.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(echo.seen).toHaveLength(0);
    for (const path of ['/healthz', '/readyz', '/metrics'])
      expect((await fetch(cp.apiBase + path)).status).toBe(200);
  });

  it('viewer reads, and gets 403 for writes, calls, tokens and the audit log', async () => {
    expect((await as(tokens.viewer, '/api/v1/agents')).status).toBe(200);
    const write = await as(tokens.viewer, '/api/v1/agents', { method: 'POST', body: '{"id":"x1"}' });
    expect(write).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    expect((await as(tokens.viewer, '/api/v1/agents/edge-1', { method: 'DELETE' })).status).toBe(403);
    expect((await as(tokens.viewer, '/call/edge-echo/x')).status).toBe(403);
    expect((await as(tokens.viewer, '/api/v1/audit')).status).toBe(403);
    expect(
      (await as(tokens.viewer, '/api/v1/tokens', { method: 'POST', body: '{"role":"admin"}' })).status,
    ).toBe(403);
    expect((await as(tokens.viewer, '/api/v1/agents/x1')).status).toBe(404);
  });

  it('caller only calls: its identity reaches the edge service, never its token nor a forged caller', async () => {
    expect((await as(tokens.caller, '/api/v1/agents')).status).toBe(403);
    const res = await fetch(`${cp.apiBase}/call/edge-echo/who`, {
      headers: { authorization: `Bearer ${tokens.caller}`, 'x-tether-caller': 'central:admin' },
    });
    expect(res.status).toBe(200);
    const seen = echo.seen.at(-1)!;
    expect(seen.headers['x-tether-caller']).toBe('central:billing-app');
    expect(seen.headers.authorization).toBeUndefined();
    const byAdmin = await fetch(`${cp.apiBase}/call/edge-echo/who`, {
      headers: { authorization: `Bearer ${tokens.admin2}` },
    });
    expect(byAdmin.status).toBe(200);
    expect(echo.seen.at(-1)!.headers['x-tether-caller']).toBe('central:ops');
  });

  it('whoami names the token and its role; tokens are listed without secrets and deleted at once', async () => {
    for (const [token, name, role] of [
      [tokens.viewer, 'dash', 'viewer'],
      [tokens.caller, 'billing-app', 'caller'],
      [cp.token, 'bootstrap-admin', 'admin'],
    ] as const) {
      expect((await as(token, '/api/v1/whoami')).body).toMatchObject({ token: { name, role } });
    }
    const list = await cp.api<{ tokens: { id: string; name: string }[] }>('/api/v1/tokens');
    expect(list.body.tokens.map((t) => t.name).sort()).toEqual([
      'billing-app',
      'bootstrap-admin',
      'dash',
      'ops',
    ]);
    expect(JSON.stringify(list.body)).not.toContain('tether_');
    const temp = await cp.api<{ id: string; token: string }>('/api/v1/tokens', {
      method: 'POST',
      body: JSON.stringify({ role: 'viewer' }),
    });
    expect((await as(temp.body.token, '/api/v1/agents')).status).toBe(200);
    expect((await cp.api(`/api/v1/tokens/${temp.body.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await as(temp.body.token, '/api/v1/agents')).status).toBe(401);
    expect((await cp.api('/api/v1/tokens', { method: 'POST', body: '{"role":"root"}' })).status).toBe(400);
    expect(
      (await cp.api('/api/v1/tokens', { method: 'POST', body: '{"role":"viewer","name":"dash"}' })).status,
    ).toBe(409);
  });

  it('the event stream needs a token: header or a bearer.<token> subprotocol beside tether.v1', async () => {
    const url = `${cp.apiBase.replace('http', 'ws')}/api/v1/events`;
    const none = await wsOpen(url, ['tether.v1']);
    expect(none.status).toBe(401);
    expect(none.wwwAuth).toMatch(/^Bearer/);
    expect((await wsOpen(url, ['tether.v1', 'bearer.tether_wrong'])).status).toBe(401);
    expect((await wsOpen(url, ['tether.v1', `bearer.${tokens.caller}`])).status).toBe(403);
    const browser = await wsOpen(url, ['tether.v1', `bearer.${tokens.viewer}`]);
    expect(browser).toMatchObject({ status: 101, protocol: 'tether.v1' });
    const header = await wsOpen(url, [], { authorization: `Bearer ${tokens.viewer}` });
    expect(header.status).toBe(101);
    const live = await wsOpen(`${cp.apiBase.replace('http', 'ws')}/api/v1/reports/live`, ['tether.v1']);
    expect(live.status).toBe(401);
    const frames: string[] = [];
    browser.ws.on('message', (d: Buffer) => frames.push(d.toString()));
    const svc = await cp.api('/api/v1/services', {
      method: 'POST',
      body: JSON.stringify({ name: 'ws-svc', url: 'http://127.0.0.1:9' }),
    });
    expect(svc.status).toBe(201);
    await waitFor(() => frames.some((f) => f.includes('ws-svc')), 'the viewer stream to see route-created');
    browser.ws.close();
    header.ws.close();
  });
});
