import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CENTRAL,
  advertTopic,
  inboxTopic,
  reportsAckTopic,
  statusTopic,
  tunnelDownTopic,
  type Route,
} from '@tether/shared';
import { startAgent, type AgentHandle, type StartAgentOptions } from '@tether/agent';
import { quietLogger, startBroker, tempDir, waitFor, type TestBroker } from './helpers.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(): Promise<{ broker: TestBroker; stateDir: string }> {
  const broker = await startBroker();
  cleanups.push(() => broker.close());
  const { dir, remove } = await tempDir();
  cleanups.push(remove);
  return { broker, stateDir: path.join(dir, 'state') };
}

async function agent(
  options: Partial<StartAgentOptions> & { controlPlane: string; stateDir: string },
): Promise<AgentHandle> {
  const handle = await startAgent({
    id: 'edge-1',
    secret: 's',
    api: { port: 0 },
    logger: quietLogger,
    cacheDebounceMs: 5,
    ...options,
  });
  cleanups.push(() => handle.close());
  return handle;
}

async function api(
  handle: AgentHandle,
  method: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`http://127.0.0.1:${handle.apiPort}${url}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : null };
}

const central = (service: string): Route => ({
  service,
  address: `http://central/${service}`,
  origin: CENTRAL,
  originKind: 'central',
  site: 'hub',
  labels: {},
  metric: 1,
  state: 'active',
  version: 1,
});

describe('agent over a real broker', () => {
  it('subscribes to its inbox first, then publishes online status and a snapshot', async () => {
    const { broker, stateDir } = await setup();
    const a = await agent({
      controlPlane: broker.url,
      stateDir,
      services: [{ name: 'web', url: 'http://127.0.0.1:8080' }],
    });
    await waitFor(() => broker.published('advert-snapshot').length === 1, 'snapshot');
    // The reports-ack subscription (the report forwarder's) may come at any point.
    const all = broker.events
      .filter(
        (e) =>
          e.clientId === 'edge-1' &&
          e.topic !== reportsAckTopic('edge-1') &&
          // Per-replica tunnel subscription (docs/cluster.md): any time, like reports-ack.
          e.topic !== tunnelDownTopic('edge-1', '+'),
      )
      .map((e) => `${e.kind} ${e.topic}`);
    // The tunnel subscription (docs/tunnel.md) is in place before the snapshot makes the agent's routes callable.
    const tunnelAt = all.indexOf(`subscribe ${tunnelDownTopic('edge-1')}`);
    expect(tunnelAt).toBeGreaterThanOrEqual(0);
    expect(tunnelAt).toBeLessThan(all.indexOf(`publish ${advertTopic('edge-1')}`));
    const mine = all.filter((e) => e !== `subscribe ${tunnelDownTopic('edge-1')}`);
    expect(mine.slice(0, 3)).toEqual([
      `subscribe ${inboxTopic('edge-1')}`,
      `publish ${statusTopic('edge-1')}`,
      `publish ${advertTopic('edge-1')}`,
    ]);
    const status = broker.published('agent-status')[0]!;
    expect(status.retain).toBe(true);
    expect(status.json).toMatchObject({
      status: 'online',
      agentId: 'edge-1',
      strategy: 'local',
      site: 'default',
      version: '0.1.0',
    });
    expect(broker.published('advert-snapshot')[0]!.json.routes).toEqual([
      expect.objectContaining({ service: 'web', origin: 'edge-1' }),
    ]);
    expect(a.status().state).toBe('connected');
  });

  it('serves the local API: services add/list/delete produce deltas; errors are JSON', async () => {
    const { broker, stateDir } = await setup();
    const a = await agent({ controlPlane: broker.url, stateDir });
    await waitFor(() => broker.published('advert-snapshot').length === 1, 'snapshot');

    expect(
      (
        await api(a, 'POST', '/v1/services', {
          name: 'api',
          url: 'http://127.0.0.1:9000',
          metric: 3,
          labels: { v: '2' },
        })
      ).status,
    ).toBe(201);
    expect((await api(a, 'POST', '/v1/services', { name: 'api', url: 'http://127.0.0.1:9000' })).status).toBe(
      409,
    );
    const bad = await api(a, 'POST', '/v1/services', { name: 'bad name', url: 'ftp://x' });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({
      error: { code: 'invalid_request', message: expect.stringMatching(/name/) as unknown },
    });
    expect((await api(a, 'POST', '/v1/services', '{nope')).status).toBe(400);

    const list = await api(a, 'GET', '/v1/services');
    expect(list.json).toEqual({
      services: [
        {
          name: 'api',
          url: 'http://127.0.0.1:9000',
          metric: 3,
          labels: { v: '2' },
          healthy: true,
          source: 'api',
          from: 'static',
          state: 'active',
        },
      ],
    });
    await waitFor(() => broker.published('advert-delta').length === 1, 'delta after POST');
    expect(broker.published('advert-delta')[0]!.json).toMatchObject({
      seq: 1,
      upserts: [expect.objectContaining({ service: 'api', metric: 3, source: 'api' })],
    });

    expect((await api(a, 'DELETE', '/v1/services/api')).status).toBe(204);
    expect((await api(a, 'DELETE', '/v1/services/api')).status).toBe(404);
    await waitFor(() => broker.published('advert-delta').length === 2, 'delta after DELETE');
    expect(broker.published('advert-delta')[1]!.json).toMatchObject({
      seq: 2,
      upserts: [],
      removes: [expect.any(String)],
    });

    expect((await api(a, 'GET', '/healthz')).status).toBe(200);
    const status = (await api(a, 'GET', '/v1/status')).json;
    expect(status).toMatchObject({
      id: 'edge-1',
      state: 'connected',
      controlPlane: broker.url,
      strategy: 'local',
      routes: { local: 0, central: 0 },
    });
    expect(JSON.stringify(status)).not.toContain('"s"');
  });

  it('takes central routes from its inbox, shows them in /v1/routes and caches them for a restart', async () => {
    const { broker, stateDir } = await setup();
    const a = await agent({ controlPlane: broker.url, stateDir });
    await waitFor(() => broker.published('advert-snapshot').length === 1, 'snapshot');
    await broker.publish(inboxTopic('edge-1'), {
      v: 1,
      type: 'agent-routes',
      epoch: 'h',
      seq: 0,
      full: true,
      upserts: [central('auth')],
      removes: [],
    });
    await waitFor(() => a.status().routes.central === 1, 'central route');
    const routes = (await api(a, 'GET', '/v1/routes')).json as { routes: Array<Route & { key: string }> };
    expect(routes.routes).toEqual([
      expect.objectContaining({
        key: expect.any(String) as unknown,
        service: 'auth',
        originKind: 'central',
        state: 'active',
      }),
    ]);
    await broker.publish(inboxTopic('edge-1'), {
      v: 1,
      type: 'agent-routes',
      epoch: 'h',
      seq: 5,
      full: false,
      upserts: [],
      removes: [],
    });
    await waitFor(() => broker.published('resync-request').length === 1, 'resync request after a gap');
    await waitFor(
      async () =>
        (await readFile(path.join(stateDir, 'routes-cache.json'), 'utf8').catch(() => '')).includes('auth'),
      'cache file',
    );
    await a.close();

    // Restart with the hub gone: the cached central route is known, stale.
    await broker.close();
    const b = await agent({ controlPlane: broker.url, stateDir });
    expect(b.table.list().map((r) => [r.service, r.state])).toEqual([['auth', 'stale']]);
    expect(b.status().state).not.toBe('connected');
  });

  it('restores services added through the API after a restart', async () => {
    const { broker, stateDir } = await setup();
    const a = await agent({ controlPlane: broker.url, stateDir });
    expect(
      (await api(a, 'POST', '/v1/services', { name: 'kept', url: 'http://127.0.0.1:7000' })).status,
    ).toBe(201);
    await a.close();
    const b = await agent({ controlPlane: broker.url, stateDir });
    expect(
      ((await api(b, 'GET', '/v1/services')).json as { services: Array<{ name: string; source: string }> })
        .services,
    ).toEqual([expect.objectContaining({ name: 'kept', source: 'api' })]);
  });

  it('sends a new snapshot after reconnecting and publishes a retained offline status on close', async () => {
    const { broker, stateDir } = await setup();
    const a = await agent({ controlPlane: broker.url, stateDir, backoff: { baseMs: 20, capMs: 50 } });
    await waitFor(() => broker.published('advert-snapshot').length === 1, 'snapshot');
    broker.dropAll();
    await waitFor(() => broker.published('advert-snapshot').length === 2, 'snapshot after reconnect');
    const [first, second] = broker.published('advert-snapshot');
    expect(second!.json.epoch).not.toBe(first!.json.epoch);
    expect(a.status().reconnects).toBeGreaterThanOrEqual(1);
    await a.close();
    const statuses = broker.published('agent-status').map((m) => [m.json.status, m.retain]);
    expect(statuses.at(-1)).toEqual(['offline', true]);
  });
});
