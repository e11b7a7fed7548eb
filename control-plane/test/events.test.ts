import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ControlPlane, ControlPlaneEvent } from '../src/index.js';
import { addAgent, connectAgent, edgeRoute, snapshot, startTestControlPlane, waitFor } from './helpers.js';

/** A client of `/api/v1/events` recording every frame. */
async function watch(
  cp: ControlPlane,
  protocols: string[],
): Promise<{ ws: WebSocket; events: ControlPlaneEvent[] }> {
  const ws = new WebSocket(`ws://127.0.0.1:${cp.ports.http}/api/v1/events`, protocols);
  const events: ControlPlaneEvent[] = [];
  ws.on('message', (data: Buffer) => events.push(JSON.parse(data.toString()) as ControlPlaneEvent));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { ws, events };
}

describe('event stream', () => {
  let cp: ControlPlane;
  let stop: () => Promise<void>;
  let base: string;
  let token: string;
  /** fetch with the admin token. */
  const get = (url: string, init: RequestInit = {}) =>
    fetch(url, { ...init, headers: { ...init.headers, authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    ({ cp, stop } = await startTestControlPlane({ statsIntervalMs: 50 }));
    base = `http://127.0.0.1:${cp.ports.http}`;
    token = readFileSync(cp.bootstrapTokenFile!, 'utf8').trim();
  });
  afterAll(() => stop());

  it('answers the tether.v1 subprotocol and never echoes the bearer one', async () => {
    const { ws } = await watch(cp, ['tether.v1', `bearer.${token}`]);
    expect(ws.protocol).toBe('tether.v1');
    ws.close();
  });

  it('pushes stats, agent and policy events', async () => {
    const { ws, events } = await watch(cp, ['tether.v1', `bearer.${token}`]);
    const stats = await waitFor(() => events.find((e) => e.type === 'stats'), 3000, 'a stats event');
    expect(stats).toMatchObject({ agents: { online: 0 }, calls: { perSecond: 0, inFlight: 0 } });

    const secret = addAgent(cp, 'edge-ev');
    const agent = await connectAgent(cp, 'edge-ev', secret);
    await agent.publish(snapshot([edgeRoute('edge-ev', 'ev', 'http://127.0.0.1:9')]));
    const updated = await waitFor(
      () => events.find((e) => e.type === 'agent-updated' && e.agent.routeCount === 1),
      3000,
      'agent-updated',
    );
    expect(updated).toMatchObject({ agent: { id: 'edge-ev', status: 'online', site: 'site-a' } });
    await waitFor(
      () => events.some((e) => e.type === 'stats' && e.agents.online === 1 && e.routes.active === 1),
      3000,
      'stats with the agent',
    );

    const put = await get(`${base}/api/v1/services/ev/policy`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ localFirst: false }),
    });
    expect(put.status).toBe(200);
    const policy = await waitFor(
      () => events.find((e) => e.type === 'policy-updated'),
      3000,
      'policy-updated',
    );
    expect(policy).toMatchObject({ service: 'ev', policySource: 'api', policy: { localFirst: false } });

    await agent.end();
    await waitFor(() => events.some((e) => e.type === 'agent-offline'), 3000, 'agent-offline');
    const recent = (await (await get(`${base}/api/v1/agents/edge-ev/events`)).json()) as {
      events: Array<{ event: ControlPlaneEvent }>;
    };
    expect(recent.events[0]?.event.type).toBe('agent-offline');
    expect(recent.events.some((e) => e.event.type === 'route-created')).toBe(true);
    ws.close();
  });

  it('reports an agent outbox from its digest in the agent view', async () => {
    const secret = addAgent(cp, 'edge-box');
    const agent = await connectAgent(cp, 'edge-box', secret);
    await agent.publish(snapshot([]));
    await waitFor(
      () => cp.db.prepare("SELECT epoch FROM agents WHERE id = 'edge-box'").get(),
      3000,
      'snapshot',
    );
    await agent.publish({
      v: 1,
      type: 'advert-digest',
      epoch: 'e1',
      seq: 0,
      digest: 'x',
      count: 0,
      outbox: { depth: 7, bytes: 700, oldestAgeMs: 1200, dropped: 0 },
    });
    let view: { outbox: unknown } = { outbox: null };
    for (let i = 0; i < 150 && !view.outbox; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 20));
      view = (await (await get(`${base}/api/v1/agents/edge-box`)).json()) as { outbox: unknown };
    }
    expect(view.outbox).toMatchObject({ depth: 7, bytes: 700, oldestAgeMs: 1200, dropped: 0 });
    await agent.end();
  });
});
