import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRaw, publishRaw } from '../helpers/mqtt-client.js';
import { stopAll } from '../helpers/processes.js';
import { startControlPlane, startEdge, type ControlPlane } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

const snapshot = (origin: string, service = 'orders') => ({
  v: 1,
  type: 'advert-snapshot',
  epoch: 'e1',
  seq: 0,
  strategy: 'local',
  site: 'x',
  labels: {},
  routes: [
    {
      service,
      address: 'http://127.0.0.1:18301',
      origin,
      originKind: 'local',
      site: 'x',
      labels: {},
      metric: 1,
      state: 'active',
      version: 1,
    },
  ],
});

/** Sums every sample of a Prometheus counter in /metrics text. */
function counter(text: string, name: string): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(name) && !l.startsWith('#'))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

describe('identity, ACLs and malformed input', () => {
  let cp: ControlPlane;
  let aliceSecret: string;
  let bobSecret: string;
  const metrics = async () => (await fetch(`${cp.apiBase}/metrics`)).text(); // public: no token
  const routeCount = async () => (await cp.api<{ routes: unknown[] }>('/api/v1/routes')).body.routes.length;

  beforeAll(async () => {
    cp = await startControlPlane();
    aliceSecret = await cp.addAgent('alice');
    bobSecret = await cp.addAgent('bob');
  });
  afterAll(stopAll);

  it('refuses a wrong secret, an unknown agent and a client id that is not the agent id', async () => {
    expect((await connectRaw(cp.mqttUrl, 'alice', 'not-the-secret')).ok).toBe(false);
    expect((await connectRaw(cp.mqttUrl, 'mallory', aliceSecret)).ok).toBe(false);
    expect((await connectRaw(cp.mqttUrl, 'alice', aliceSecret, 'bob')).ok).toBe(false);
    const good = await connectRaw(cp.mqttUrl, 'alice', aliceSecret);
    expect(good.ok).toBe(true);
    if (good.ok) good.client.end(true);
  });

  it('an agent process with a wrong secret reports it clearly and stays up', async () => {
    const edge = await startEdge({ id: 'bob', secret: 'wrong', url: cp.mqttUrl });
    const status = await waitFor(async () => {
      const { body } = await edge.api<{ state: string }>('/v1/status');
      return body.state === 'unauthorized' ? body : undefined;
    }, 'agent to report unauthorized');
    expect(status.state).toBe('unauthorized');
    expect(edge.proc.stderr()).toMatch(/refused/i);
    expect(edge.proc.stderr()).not.toContain('wrong"');
    await edge.proc.stop();
  });

  it('a publish into another agent’s namespace is refused and stores nothing', async () => {
    const conn = await connectRaw(cp.mqttUrl, 'alice', aliceSecret);
    if (!conn.ok) throw new Error(conn.error);
    const before = await routeCount();
    await publishRaw(conn.client, 'tether/v1/agents/bob/advert', JSON.stringify(snapshot('bob')));
    await publishRaw(conn.client, 'tether/v1/agents/bob/inbox', JSON.stringify(snapshot('bob')));
    conn.client.end(true);
    // bob's own, honest connection still works and its namespace holds nothing alice wrote.
    const bob = await connectRaw(cp.mqttUrl, 'bob', bobSecret);
    expect(bob.ok).toBe(true);
    if (bob.ok) bob.client.end(true);
    expect((await cp.api<{ routes: unknown[] }>('/api/v1/routes?agent=bob')).body.routes).toEqual([]);
    expect(await routeCount()).toBe(before);
  });

  it('refuses subscriptions outside the agent’s own inbox', async () => {
    const conn = await connectRaw(cp.mqttUrl, 'alice', aliceSecret);
    if (!conn.ok) throw new Error(conn.error);
    const client: MqttClient = conn.client;
    for (const filter of ['#', 'tether/v1/agents/+/inbox', 'tether/v1/agents/bob/inbox', '$SYS/#']) {
      const granted = await client.subscribeAsync(filter, { qos: 1 }).catch(() => [{ qos: 128 }]);
      expect(granted[0]?.qos, filter).toBe(128);
    }
    const own = await client.subscribeAsync('tether/v1/agents/alice/inbox', { qos: 1 });
    expect(own[0]?.qos).toBe(1);
    client.end(true);
  });

  it('malformed payloads on every agent topic leave the control plane up, counted, with nothing stored', async () => {
    const beforeRoutes = await routeCount();
    const beforeInvalid = counter(await metrics(), 'tether_invalid_messages_total');
    const conn = await connectRaw(cp.mqttUrl, 'alice', aliceSecret);
    if (!conn.ok) throw new Error(conn.error);
    const bad: (string | Buffer)[] = [
      'not json',
      Buffer.from([0xff, 0xfe, 0x00, 0x01]),
      '{}',
      JSON.stringify({ ...snapshot('alice'), v: 99 }),
      JSON.stringify({ ...snapshot('alice'), type: 'advert-surprise' }),
      JSON.stringify({ ...snapshot('alice'), routes: [{ service: '../etc', origin: 'alice' }] }),
      JSON.stringify({ ...snapshot('alice'), seq: -1 }),
      JSON.stringify({ v: 1, type: 'advert-delta', epoch: 'e', seq: 'x' }),
      JSON.stringify({ v: 1, type: 'agent-status', agentId: 'bob', status: 'online', at: 1 }),
      'x'.repeat(200_000),
    ];
    for (const topic of ['tether/v1/agents/alice/advert', 'tether/v1/agents/alice/status']) {
      for (const payload of bad) await publishRaw(conn.client, topic, payload);
    }
    conn.client.end(true);
    await waitFor(
      async () =>
        counter(await metrics(), 'tether_invalid_messages_total') >= beforeInvalid + 2 * bad.length - 2,
      'invalid messages to be counted',
    );
    expect((await cp.api('/healthz')).status).toBe(200);
    expect(await routeCount()).toBe(beforeRoutes);
  });

  it('a route forged with another agent’s origin is dropped and counted, the honest ones kept', async () => {
    const before = counter(await metrics(), 'tether_rejected_routes_total');
    const conn = await connectRaw(cp.mqttUrl, 'alice', aliceSecret);
    if (!conn.ok) throw new Error(conn.error);
    const msg = snapshot('alice', 'honest');
    msg.routes.push({ ...snapshot('bob', 'forged').routes[0]! });
    await publishRaw(conn.client, 'tether/v1/agents/alice/advert', JSON.stringify(msg));
    await waitFor(
      async () =>
        (await cp.api<{ routes: unknown[] }>('/api/v1/routes?agent=alice')).body.routes.length === 1,
      'the honest route stored',
    );
    conn.client.end(true);
    expect((await cp.api<{ routes: unknown[] }>('/api/v1/routes?service=forged')).body.routes).toEqual([]);
    expect(counter(await metrics(), 'tether_rejected_routes_total')).toBe(before + 1);
  });
});
