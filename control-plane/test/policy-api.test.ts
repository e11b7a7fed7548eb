import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServicePolicySchema } from '@tether/shared';
import { parseConfig, PolicyStore, type ControlPlane } from '../src/index.js';
import {
  addAgent,
  adminAuth,
  connectAgent,
  edgeRoute,
  snapshot,
  startTestControlPlane,
  waitFor,
} from './helpers.js';

describe('policy API', () => {
  let cp: ControlPlane;
  let stop: () => Promise<void>;
  let base: string;
  let auth: { authorization: string };

  beforeAll(async () => {
    let dir: string;
    ({ cp, stop, dir } = await startTestControlPlane({
      policies: { configured: ServicePolicySchema.parse({ defaultWeight: 2, localFirst: false }) },
    }));
    base = `http://127.0.0.1:${cp.ports.http}`;
    auth = adminAuth(dir);
  });
  afterAll(() => stop());

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? auth : { ...auth, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
  };

  it('PUT stores a policy with defaults applied and GET shows it', async () => {
    const put = await call('PUT', '/api/v1/services/orders/policy', {
      tiers: [{ match: { site: 'berlin' }, priority: 1 }],
      ejection: { baseMs: 500 },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      name: 'orders',
      policySource: 'api',
      policy: {
        tiers: [{ match: { site: 'berlin' }, priority: 1 }],
        localFirst: true,
        ejection: { consecutiveFailures: 3, baseMs: 500, maxMs: 30_000 },
      },
    });
    const got = await call('GET', '/api/v1/services/orders');
    expect(got).toMatchObject({
      status: 200,
      body: { name: 'orders', policy: put.body?.policy, central: null, instances: [] },
    });
  });

  it.each([
    [{ tiers: [{ match: {}, priority: 'high' }] }, 'tiers.0.priority'],
    [{ weights: [{ match: { colour: 'red' }, weight: 1 }] }, 'weights.0.match'],
    [{ allowEdgeCallers: 'edge-1' }, 'allowEdgeCallers'],
    [{ ejection: { consecutiveFailures: 0 } }, 'ejection.consecutiveFailures'],
  ])('PUT %j -> 400 naming %s', async (policy, field) => {
    const res = await call('PUT', '/api/v1/services/orders/policy', policy);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 'invalid_request' } });
    expect((res.body?.error as { message: string }).message).toContain(`${field}:`);
  });

  it('PUT rejects a non-JSON body and a bad service name', async () => {
    expect((await call('PUT', '/api/v1/services/orders/policy', '{nope')).status).toBe(400);
    const bad = await call('PUT', '/api/v1/services/-bad/policy', {});
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('path parameter: name');
  });

  it('GET 404s for a service with no route and no policy; DELETE policy returns to 404', async () => {
    expect((await call('GET', '/api/v1/services/ghost')).status).toBe(404);
    expect((await call('PUT', '/api/v1/services/ghost/policy', {})).status).toBe(200);
    expect((await call('GET', '/api/v1/services/ghost')).body).toMatchObject({ policySource: 'api' });
    expect((await call('DELETE', '/api/v1/services/ghost/policy')).status).toBe(204);
    expect((await call('DELETE', '/api/v1/services/ghost/policy')).status).toBe(404);
    expect((await call('GET', '/api/v1/services/ghost')).status).toBe(404);
  });

  it('GET shows instances with health and tier priority; the list endpoint still works', async () => {
    const agent = await connectAgent(cp, 'edge-p', addAgent(cp, 'edge-p'));
    await agent.publish(snapshot([edgeRoute('edge-p', 'orders', 'http://127.0.0.1:1')]));
    await agent.next('agent-routes');
    await waitFor(() => cp.table.count({ service: 'orders' }) === 1);
    const got = await call('GET', '/api/v1/services/orders');
    expect(got.body?.instances).toEqual([
      expect.objectContaining({
        origin: 'edge-p',
        state: 'active',
        priority: 100,
        health: 'healthy',
        ejectedUntil: null,
        inflight: 0,
        successes: 0,
        failures: 0,
        latencyMs: { p50: null, p99: null },
      }),
    ]);
    const list = await call('GET', '/api/v1/services');
    expect(list.body?.services).toContainEqual(expect.objectContaining({ name: 'orders' }));
    await agent.end();
  });

  it('config policies are stored with source config and replaced on the next sync', () => {
    const store = new PolicyStore(cp.db);
    expect(store.get('configured')).toMatchObject({ source: 'config', policy: { defaultWeight: 2 } });
    store.syncConfig({}, 1);
    expect(store.get('configured')).toBeUndefined();
    expect(store.get('orders')).toMatchObject({ source: 'api' });
  });

  it('the config file accepts top-level policies and names a bad field', () => {
    expect(parseConfig({ policies: { orders: { localFirst: false } } }).policies?.orders?.localFirst).toBe(
      false,
    );
    expect(() => parseConfig({ policies: { orders: { tiers: [{ priority: 1 }] } } })).toThrow(
      /policies\.orders\.tiers\.0\.match/,
    );
  });
});
