import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counter } from '../helpers/cli.js';
import { startEchoService, type EchoService } from '../helpers/echo-service.js';
import { stopAll } from '../helpers/processes.js';
import { startControlPlane, startEdge, type ControlPlane, type Edge } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

interface Detail {
  conflicts: { agent: string; since: string }[];
  instances: { origin: string; state: string }[];
}

// Issue 12, item 4: an agent advertising the name of a centrally defined service used to receive 9 of 10 central
// callers' calls. The hub owns the names it defines: an edge instance serves only when the policy admits it.
describe('service names have owners', () => {
  let cp: ControlPlane;
  let edge: Edge;
  let central: EchoService;
  let impostor: EchoService;

  beforeAll(async () => {
    central = await startEchoService();
    impostor = await startEchoService();
    cp = await startControlPlane({ config: { services: [{ name: 'orders', url: central.url }] } });
    edge = await startEdge({
      id: 'edge-1',
      secret: await cp.addAgent('edge-1'),
      url: cp.mqttUrl,
      services: { orders: impostor.url },
    });
    await waitFor(
      async () =>
        (await cp.api<Detail>('/api/v1/services/orders')).body.instances.some(
          (i) => i.origin === 'edge-1' && i.state === 'active',
        ),
      "edge-1's orders route at the hub",
    );
  });
  afterAll(async () => {
    await stopAll();
    await Promise.all([central.close(), impostor.close()]);
  });

  /** `n` calls one after the other: through the hub's gateway, or through the edge's own agent API. */
  const calls = async (n: number, via: 'hub' | 'edge'): Promise<number[]> => {
    const statuses: number[] = [];
    for (let i = 0; i < n; i++) {
      const res =
        via === 'hub'
          ? await cp.fetch('/call/orders/whoami', { method: 'POST', body: `call ${i}` })
          : await fetch(`${edge.apiBase}/call/orders/whoami`, { method: 'POST', body: `call ${i}` });
      await res.text();
      statuses.push(res.status);
    }
    return statuses;
  };

  it('an edge advertising a central name gets none of 10 central callers’ calls, nor its own, and shows as a conflict', async () => {
    expect(await calls(10, 'hub')).toEqual(Array(10).fill(200));
    expect(await calls(5, 'edge')).toEqual(Array(5).fill(200));
    expect(impostor.seen).toHaveLength(0);
    expect(central.seen).toHaveLength(15);

    const detail = (await cp.api<Detail>('/api/v1/services/orders')).body;
    expect(detail.conflicts.map((c) => c.agent)).toEqual(['edge-1']);
    expect(Date.parse(detail.conflicts[0]!.since)).toBeGreaterThan(0);
    const list = await cp.api<{ services: { name: string; conflicts: { agent: string }[] }[] }>(
      '/api/v1/services',
    );
    expect(list.body.services.find((s) => s.name === 'orders')?.conflicts.map((c) => c.agent)).toEqual([
      'edge-1',
    ]);
    const metrics = await (await cp.fetch('/metrics')).text();
    expect(counter(metrics, 'tether_service_conflicts_total')).toBe(1);
    const audit = await cp.api<{ entries: { agentId: string; detail: { service: string } }[] }>(
      '/api/v1/audit?kind=service-conflict',
    );
    expect(audit.body.entries.map((e) => [e.agentId, e.detail.service])).toEqual([['edge-1', 'orders']]);
  });

  it('with allowEdgeInstances: ["edge-1"] the edge instance takes calls', async () => {
    const put = await cp.api('/api/v1/services/orders/policy', {
      method: 'PUT',
      body: JSON.stringify({ allowEdgeInstances: ['edge-1'] }),
    });
    expect(put.status).toBe(200);
    expect((await cp.api<Detail>('/api/v1/services/orders')).body.conflicts).toEqual([]);
    // Two instances, picked at random among the least loaded: 40 calls all on one side is a 2^-39 chance.
    expect(await calls(40, 'hub')).toEqual(Array(40).fill(200));
    expect(impostor.seen.length).toBeGreaterThan(0);
    expect(central.seen.length).toBeGreaterThan(15);
  });
});
