import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { inboxTopic, PROTOCOL_VERSION, type AgentRoutes } from '@tether/shared';
import type { ControlPlane, ControlPlaneEvent } from '../src/index.js';
import { adminAuth, connectAgent, edgeRoute, snapshot, startTestControlPlane, waitFor } from './helpers.js';

describe('HTTP API', () => {
  let cp: ControlPlane;
  let stop: () => Promise<void>;
  let base: string;
  let auth: { authorization: string };

  beforeAll(async () => {
    let dir: string;
    ({ cp, stop, dir } = await startTestControlPlane());
    base = `http://127.0.0.1:${cp.ports.http}`;
    auth = adminAuth(dir);
  });
  afterAll(() => stop());

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? auth : { ...auth, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
  };

  it('serves health, readiness and metrics', async () => {
    expect(await call('GET', '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await call('GET', '/readyz')).toEqual({ status: 200, body: { status: 'ready' } });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    for (const name of [
      'tether_connections',
      'tether_routes',
      'tether_invalid_messages_total',
      'tether_auth_failures_total',
    ]) {
      expect(metrics).toContain(name);
    }
  });

  it('registers agents: 201, 409 on duplicates, 400 naming the rule; JSON errors and 404s', async () => {
    const created = await call('POST', '/api/v1/agents', { id: 'edge-1' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      id: 'edge-1',
      secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) as unknown,
    });
    expect((await call('POST', '/api/v1/agents', { id: 'edge-1' })).status).toBe(409);
    const bad = await call('POST', '/api/v1/agents', { id: 'central' });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'invalid_request' } } });
    expect(JSON.stringify(bad.body)).toContain('reserved');
    expect(await call('GET', '/api/v1/agents/nobody')).toMatchObject({
      status: 404,
      body: { error: { code: 'not_found' } },
    });
    expect(await call('GET', '/api/v1/nowhere')).toMatchObject({
      status: 404,
      body: { error: { code: 'not_found' } },
    });
    expect(await call('DELETE', '/nowhere')).toMatchObject({
      status: 404,
      body: { error: { code: 'not_found' } },
    });
    expect((await call('GET', '/api/v1/routes?state=zombie')).status).toBe(400);
  });

  it('serves agents, routes and services after a snapshot, and streams events over WebSocket', async () => {
    const { body } = await call('POST', '/api/v1/agents', { id: 'edge-2' });
    const events: ControlPlaneEvent[] = [];
    const ws = new WebSocket(`ws://127.0.0.1:${cp.ports.http}/api/v1/events`, { headers: auth });
    ws.on('message', (data: Buffer) => events.push(JSON.parse(data.toString()) as ControlPlaneEvent));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));

    const agent = await connectAgent(cp, 'edge-2', body!.secret as string);
    await agent.publish(snapshot([edgeRoute('edge-2', 'web', 'http://10.2.0.1')]));
    await agent.next('agent-routes');
    await waitFor(() => events.some((e) => e.type === 'route-created'), 3000, 'route-created event');
    expect(events[0]).toEqual({ type: 'agent-online', agentId: 'edge-2' });

    const view = await call('GET', '/api/v1/agents/edge-2');
    expect(view.body).toMatchObject({
      id: 'edge-2',
      status: 'online',
      strategy: 'local',
      site: 'site-a',
      labels: { zone: 'a' },
      routeCount: 1,
      staleRoutes: 0,
    });
    const routes = await call('GET', '/api/v1/routes?agent=edge-2&state=active');
    expect(routes.body).toMatchObject({
      routes: [{ key: '["web","edge-2","http://10.2.0.1"]', service: 'web', originKind: 'edge' }],
    });
    expect((await call('GET', '/api/v1/routes?agent=edge-2&state=stale')).body).toEqual({
      routes: [],
      nextCursor: null,
    });

    expect((await call('POST', '/api/v1/services', { name: 'web', url: 'http://central:80' })).status).toBe(
      201,
    );
    expect((await call('POST', '/api/v1/services', { name: 'web', url: 'http://central:80' })).status).toBe(
      409,
    );
    expect((await call('POST', '/api/v1/services', { name: 'x', url: 'nope' })).status).toBe(400);
    const services = await call('GET', '/api/v1/services');
    expect(services.body).toMatchObject({
      services: [{ name: 'web', central: { url: 'http://central:80' }, instances: { active: 2, stale: 0 } }],
      nextCursor: null,
    });

    await agent.end();
    await waitFor(() => events.some((e) => e.type === 'agent-offline'), 2000, 'agent-offline event');
    expect((await call('GET', '/api/v1/agents/edge-2')).body).toMatchObject({
      status: 'offline',
      staleRoutes: 1,
    });
    ws.close();
  });

  it('carries MQTT over WebSocket at /mqtt', async () => {
    const { body } = await call('POST', '/api/v1/agents', { id: 'edge-ws' });
    const client = await mqtt.connectAsync(`ws://127.0.0.1:${cp.ports.http}/mqtt`, {
      clientId: 'edge-ws',
      username: 'edge-ws',
      password: body!.secret as string,
      reconnectPeriod: 0,
      connectTimeout: 3000,
    });
    try {
      const inbox: AgentRoutes[] = [];
      client.on('message', (_t, p) => inbox.push(JSON.parse(p.toString()) as AgentRoutes));
      await client.subscribeAsync(inboxTopic('edge-ws'), { qos: 1 });
      await client.publishAsync(
        'tether/v1/agents/edge-ws/advert',
        JSON.stringify({ v: PROTOCOL_VERSION, type: 'resync-request', reason: 'test' }),
        { qos: 1 },
      );
      const routes = await waitFor(() => inbox[0], 3000, 'agent-routes over ws');
      expect(routes).toMatchObject({ type: 'agent-routes', full: true });
    } finally {
      await client.endAsync();
    }
  });
});
