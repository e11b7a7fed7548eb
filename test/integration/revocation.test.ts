import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { runCp } from '../helpers/cli.js';
import { startEchoService, type EchoService } from '../helpers/echo-service.js';
import { connectRaw } from '../helpers/mqtt-client.js';
import { stopAll } from '../helpers/processes.js';
import { startControlPlane, startEdge, type ControlPlane, type Edge } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

interface Event {
  type: string;
  route?: { origin: string; service: string };
}

describe('revocation (API and CLI, while running)', () => {
  let cp: ControlPlane;
  let echo: EchoService;
  const secrets: Record<string, string> = {};
  const edges: Record<string, Edge> = {};
  const events: Event[] = [];
  let ws: WebSocket;

  const routesOf = async (agent: string) =>
    (await cp.api<{ routes: unknown[] }>(`/api/v1/routes?agent=${agent}`)).body.routes.length;
  const state = async (id: string) => (await edges[id]!.api<{ state: string }>('/v1/status')).body.state;

  beforeAll(async () => {
    echo = await startEchoService();
    cp = await startControlPlane();
    for (const id of ['edge-a', 'edge-b', 'edge-c']) secrets[id] = await cp.addAgent(id);
    for (const svc of ['svc-a', 'svc-c']) {
      const res = await cp.api(`/api/v1/services/${svc}/policy`, {
        method: 'PUT',
        body: JSON.stringify({ allowEdgeCallers: ['edge-b'] }),
      });
      expect(res.status).toBe(200);
    }
    edges['edge-a'] = await startEdge({
      id: 'edge-a',
      secret: secrets['edge-a']!,
      url: cp.mqttUrl,
      services: { 'svc-a': echo.url },
    });
    edges['edge-c'] = await startEdge({
      id: 'edge-c',
      secret: secrets['edge-c']!,
      url: cp.mqttUrl,
      services: { 'svc-c': echo.url },
    });
    edges['edge-b'] = await startEdge({ id: 'edge-b', secret: secrets['edge-b']!, url: cp.mqttUrl });
    await waitFor(
      async () => (await routesOf('edge-a')) === 1 && (await routesOf('edge-c')) === 1,
      'routes of a and c',
    );
    ws = new WebSocket(`${cp.apiBase.replace('http', 'ws')}/api/v1/events`, [
      'tether.v1',
      `bearer.${cp.token}`,
    ]);
    ws.on('message', (d: Buffer) => events.push(JSON.parse(d.toString()) as Event));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    // edge-b may call both services through the hub (its view of them).
    for (const svc of ['svc-a', 'svc-c'])
      await waitFor(
        async () => (await fetch(`${edges['edge-b']!.apiBase}/call/${svc}/x`)).status === 200,
        `b -> ${svc}`,
      );
  });
  afterAll(async () => {
    ws?.close();
    await stopAll();
    await echo?.close();
  });

  it('DELETE /api/v1/agents/:id: calls in flight abort, the link closes, routes are withdrawn, no reconnect', async () => {
    const inFlight = cp.fetch('/call/svc-a/hang');
    await waitFor(() => echo.hanging() === 1, 'the call to reach the edge service');
    const del = await cp.api<{ id: string; revokedAt: string }>('/api/v1/agents/edge-a', {
      method: 'DELETE',
    });
    expect(del.status).toBe(200);
    expect(del.body.id).toBe('edge-a');

    const aborted = await inFlight;
    expect(aborted.status).toBe(503);
    const err = (await aborted.json()) as { error: { code: string; message: string } };
    expect(err.error.code).toBe('tunnel_closed');
    expect(err.error.message).toMatch(/revoked/);

    await waitFor(
      () => events.some((e) => e.type === 'route-deleted' && e.route?.origin === 'edge-a'),
      'route-deleted',
    );
    expect(await routesOf('edge-a')).toBe(0);
    expect((await fetch(`${edges['edge-b']!.apiBase}/call/svc-a/x`)).status).toBe(404);
    await waitFor(async () => (await state('edge-a')) === 'unauthorized', 'edge-a refused on reconnect');
    expect(edges['edge-a']!.proc.stderr()).toMatch(/refused the credentials of agent edge-a/);
    expect((await connectRaw(cp.mqttUrl, 'edge-a', secrets['edge-a']!)).ok).toBe(false);
    // Kept for the record, marked.
    const row = await cp.api<{ status: string; revokedAt: string | null }>('/api/v1/agents/edge-a');
    expect(row.body).toMatchObject({ status: 'offline', revokedAt: del.body.revokedAt });
    expect(edges['edge-a']!.proc.child.exitCode).toBeNull();
    // edge-b and edge-c are untouched.
    expect(await state('edge-b')).toBe('connected');
    expect((await fetch(`${edges['edge-b']!.apiBase}/call/svc-c/x`)).status).toBe(200);
  });

  it('tether-cp agent revoke on the data dir of the running server: disconnected, withdrawn, refused', async () => {
    const out = await runCp(['agent', 'revoke', 'edge-c', '--data-dir', cp.dataDir]);
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ id: 'edge-c' });
    await waitFor(
      () => events.some((e) => e.type === 'route-deleted' && e.route?.origin === 'edge-c'),
      'route-deleted',
    );
    await waitFor(async () => (await state('edge-c')) !== 'connected', 'edge-c disconnected');
    expect(await routesOf('edge-c')).toBe(0);
    expect((await fetch(`${edges['edge-b']!.apiBase}/call/svc-c/x`)).status).toBe(404);
    expect((await connectRaw(cp.mqttUrl, 'edge-c', secrets['edge-c']!)).ok).toBe(false);
    expect(await state('edge-b')).toBe('connected');
  });

  it('refuses an unknown agent (404 / exit 1); a second revoke changes nothing and is audited once', async () => {
    expect((await cp.api('/api/v1/agents/nobody', { method: 'DELETE' })).status).toBe(404);
    const cli = await runCp(['agent', 'revoke', 'nobody', '--data-dir', cp.dataDir]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(/not found/);
    const again = await cp.api<{ revokedAt: string }>('/api/v1/agents/edge-a', { method: 'DELETE' });
    expect(again.status).toBe(200);
    const audit = await cp.api<{ entries: { agentId: string; actor: string }[] }>(
      '/api/v1/audit?kind=agent-revoked',
    );
    expect(audit.body.entries.map((e) => [e.agentId, e.actor])).toEqual([
      ['edge-a', 'token:bootstrap-admin'],
      ['edge-c', 'cli'],
    ]);
  });
});
