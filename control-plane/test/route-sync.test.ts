import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, routeKey, routesDigest, statusTopic, type AgentRoutes } from '@tether/shared';
import type { ControlPlane } from '../src/index.js';
import { CONTROL_PLANE_VERSION } from '../src/version.js';
import {
  adminAuth,
  addAgent,
  connectAgent,
  edgeRoute,
  snapshot,
  startTestControlPlane,
  waitFor,
  type TestAgent,
} from './helpers.js';

async function counter(
  cp: ControlPlane,
  name: 'invalidMessages' | 'rejectedRoutes',
  label?: string,
): Promise<number> {
  const values = (await cp.metrics[name].get()).values;
  return values
    .filter((v) => label === undefined || v.labels.reason === label)
    .reduce((n, v) => n + v.value, 0);
}

describe('route sync over real MQTT', () => {
  let cp: ControlPlane;
  let stop: () => Promise<void>;
  let dir: string;
  let agent: TestAgent;
  const a = edgeRoute('edge-1', 'web', 'http://10.1.0.1:80');
  const b = edgeRoute('edge-1', 'api', 'http://10.1.0.2:80');

  beforeAll(async () => {
    ({ cp, stop, dir } = await startTestControlPlane({
      services: [{ name: 'billing', url: 'http://central:80', labels: {}, metric: 1 }],
    }));
    agent = await connectAgent(cp, 'edge-1', addAgent(cp, 'edge-1'));
  });
  afterAll(async () => {
    await agent.end();
    await stop();
  });

  it('applies a snapshot and answers with the full central routes', async () => {
    await agent.publish(snapshot([a, b], 'e1', 0));
    const routes = (await agent.next('agent-routes')) as AgentRoutes;
    expect(routes.full).toBe(true);
    expect(routes.upserts.map((r) => r.service)).toEqual(['billing']);
    expect(cp.table.list({ origin: 'edge-1' }).map((r) => [r.service, r.originKind, r.state])).toEqual([
      ['api', 'edge', 'active'],
      ['web', 'edge', 'active'],
    ]);
  });

  it('refuses a malformed payload: counts it, answers error, changes nothing', async () => {
    const before = cp.table.list();
    const invalid = await counter(cp, 'invalidMessages');
    await agent.publish('{not json');
    await agent.publish({
      v: PROTOCOL_VERSION,
      type: 'advert-snapshot',
      epoch: 'e9',
      seq: 0,
      routes: 'nope',
    });
    expect(await agent.next('error')).toMatchObject({ type: 'error', code: 'invalid_message' });
    expect(await agent.next('error')).toMatchObject({ type: 'error', code: 'invalid_message' });
    await expect.poll(() => counter(cp, 'invalidMessages'), { timeout: 3000 }).toBe(invalid + 2);
    expect(await counter(cp, 'invalidMessages', 'not_json')).toBeGreaterThanOrEqual(1);
    expect(cp.table.list()).toEqual(before);
  });

  it('drops a route with another agent origin and answers error', async () => {
    const foreign = edgeRoute('edge-2', 'evil', 'http://10.9.9.9');
    await agent.publish({
      v: PROTOCOL_VERSION,
      type: 'advert-delta',
      epoch: 'e1',
      seq: 1,
      upserts: [foreign, { ...a, metric: 7 }],
      removes: [],
    });
    expect(await agent.next('error')).toMatchObject({ code: 'route_rejected' });
    await expect.poll(() => cp.table.get(routeKey(a))?.metric, { timeout: 3000 }).toBe(7);
    expect(cp.table.list({ service: 'evil' })).toEqual([]);
    expect(await counter(cp, 'rejectedRoutes')).toBe(1);
  });

  it('answers a delta with a sequence gap with resync-request and applies nothing', async () => {
    await agent.publish({
      v: PROTOCOL_VERSION,
      type: 'advert-delta',
      epoch: 'e1',
      seq: 5,
      upserts: [],
      removes: [routeKey(b)],
    });
    expect(await agent.next('resync-request')).toMatchObject({ reason: 'sequence gap: expected 2, got 5' });
    await agent.publish({
      v: PROTOCOL_VERSION,
      type: 'advert-delta',
      epoch: 'other',
      seq: 2,
      upserts: [],
      removes: [routeKey(b)],
    });
    expect(await agent.next('resync-request')).toMatchObject({ reason: 'unknown epoch' });
    expect(cp.table.get(routeKey(b))).toBeDefined();
  });

  it('removes only keys the agent owns', async () => {
    const central = cp.table.list({ origin: 'central' })[0]!;
    await agent.publish({
      v: PROTOCOL_VERSION,
      type: 'advert-delta',
      epoch: 'e1',
      seq: 2,
      upserts: [],
      removes: [routeKey(b), routeKey(central)],
    });
    await expect.poll(() => cp.table.get(routeKey(b)), { timeout: 3000 }).toBeUndefined();
    expect(cp.table.get(routeKey(central))).toBeDefined();
  });

  it('accepts a matching digest and answers a mismatching one with resync-request', async () => {
    const stored = cp.table.list({ origin: 'edge-1' });
    const digest = {
      v: PROTOCOL_VERSION,
      type: 'advert-digest',
      epoch: 'e1',
      seq: 2,
      digest: routesDigest(stored),
      count: stored.length,
    };
    await agent.publish(digest);
    await agent.publish({ ...digest, digest: 'deadbeef' });
    expect(await agent.next('resync-request')).toMatchObject({ reason: 'digest mismatch' });
    await agent.publish({ ...digest, seq: 1 });
    expect(await agent.next('resync-request')).toMatchObject({ reason: 'digest position mismatch' });
    expect(agent.inbox.filter((m) => m.type === 'resync-request')).toHaveLength(4);
  });

  it('answers an agent resync-request with a full agent-routes', async () => {
    await agent.publish({ v: PROTOCOL_VERSION, type: 'resync-request', reason: 'gap' });
    const routes = (await agent.next('agent-routes')) as AgentRoutes;
    expect(routes).toMatchObject({ full: true, seq: 1 });
  });

  it("applies a snapshot in parts once its last part arrived, with each route's source", async () => {
    const parts = await connectAgent(cp, 'edge-parts', addAgent(cp, 'edge-parts'));
    try {
      const x = edgeRoute('edge-parts', 'web', 'http://10.2.0.1:80');
      const y = { ...edgeRoute('edge-parts', 'etcd-svc', 'http://10.2.0.3:80'), source: 'etcd' as const };
      await parts.publish({ ...snapshot([x], 'p1', 0), more: true });
      await parts.publish({ ...snapshot([y], 'p1', 1), more: true });
      expect(cp.table.list({ origin: 'edge-parts' })).toEqual([]);
      await parts.publish(snapshot([], 'p1', 2));
      expect(((await parts.next('agent-routes')) as AgentRoutes).full).toBe(true);
      expect(cp.table.list({ origin: 'edge-parts' }).map((r) => [r.service, r.source ?? null])).toEqual([
        ['etcd-svc', 'etcd'],
        ['web', null],
      ]);
      // A part out of order: nothing applied, a resync asked for.
      await parts.publish({ ...snapshot([x], 'p2', 0), more: true });
      await parts.publish(snapshot([], 'p2', 2));
      const resync = (await parts.next('resync-request')) as { reason: string };
      expect(resync.reason).toContain('out of order');
      expect(cp.table.count({ origin: 'edge-parts' })).toBe(2);
    } finally {
      await parts.end();
    }
  });

  it('records a valid status and refuses one whose agentId does not match the topic', async () => {
    const status = {
      v: PROTOCOL_VERSION,
      type: 'agent-status',
      agentId: 'edge-1',
      status: 'online',
      // A version the hub accepts (its own): another minor is refused and disconnected (agent-version.test.ts).
      version: CONTROL_PLANE_VERSION,
      at: 1,
    };
    await agent.client.publishAsync(statusTopic('edge-1'), JSON.stringify(status), { qos: 1, retain: true });
    await expect
      .poll(() => new AgentStoreView(cp).version('edge-1'), { timeout: 3000 })
      .toBe(CONTROL_PLANE_VERSION);
    await agent.client.publishAsync(
      statusTopic('edge-1'),
      JSON.stringify({ ...status, agentId: 'edge-2', version: '9' }),
      { qos: 1 },
    );
    expect(await agent.next('error')).toMatchObject({ code: 'invalid_message' });
    expect(new AgentStoreView(cp).version('edge-1')).toBe(CONTROL_PLANE_VERSION);
  });

  it('pushes a delta when central services change, and marks routes stale on disconnect', async () => {
    const res = await fetch(`http://127.0.0.1:${cp.ports.http}/api/v1/services`, {
      method: 'POST',
      headers: { ...adminAuth(dir), 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'ledger',
        url: 'http://central:81',
        visibleTo: { labels: { zone: 'a' } },
      }),
    });
    expect(res.status).toBe(201);
    const delta = (await agent.next('agent-routes')) as AgentRoutes;
    expect(delta).toMatchObject({ full: false, seq: 2, removes: [] });
    expect(delta.upserts.map((r) => r.service)).toEqual(['ledger']);

    const del = await fetch(`http://127.0.0.1:${cp.ports.http}/api/v1/services/ledger`, {
      method: 'DELETE',
      headers: adminAuth(dir),
    });
    expect(del.status).toBe(204);
    expect(await agent.next('agent-routes')).toMatchObject({ full: false, seq: 3, upserts: [] });

    agent.client.stream.destroy();
    await waitFor(() => cp.table.count({ origin: 'edge-1', state: 'stale' }) === 1, 2000, 'stale routes');
    expect(cp.table.count({ origin: 'edge-1', state: 'active' })).toBe(0);
  });

  it('gives each session of an agent a hub epoch of its own', async () => {
    const secret = addAgent(cp, 'edge-epochs');
    const epochs: string[] = [];
    for (let session = 0; session < 3; session++) {
      const again = await connectAgent(cp, 'edge-epochs', secret);
      await again.publish(
        snapshot([edgeRoute('edge-epochs', 'web', 'http://10.9.0.1:80')], `s${session}`, 0),
      );
      epochs.push(((await again.next('agent-routes')) as AgentRoutes).epoch);
      await again.end();
    }
    expect(new Set(epochs).size).toBe(3);
  });
});

class AgentStoreView {
  constructor(private readonly cp: ControlPlane) {}
  version(id: string): string | null | undefined {
    return (
      this.cp.db.prepare('SELECT version FROM agents WHERE id = ?').get(id) as
        { version: string | null } | undefined
    )?.version;
  }
}
