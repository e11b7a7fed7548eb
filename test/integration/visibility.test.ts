import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAll } from '../helpers/processes.js';
import {
  serviceNames,
  startControlPlane,
  startEdge,
  type ControlPlane,
  type Edge,
} from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

// The go-micro scenarios on one hub: a cluster sharing its own services (local), a data-reporting edge (none),
// an edge with best, one with all, and central services, one of them visible only to `tier=gold` edges.
describe('visibility matrix across the four strategies', () => {
  let cp: ControlPlane;
  const edges: Record<string, Edge> = {};
  const routesOf = async (agent: string) =>
    (await cp.api<{ routes: { service: string }[] }>(`/api/v1/routes?agent=${agent}`)).body.routes;

  beforeAll(async () => {
    cp = await startControlPlane({
      config: {
        services: [
          { name: 'billing', url: 'http://127.0.0.1:9001', metric: 1 },
          { name: 'firmware', url: 'http://127.0.0.1:9002', visibleTo: { labels: { tier: 'gold' } } },
        ],
      },
    });
    const plan = [
      {
        id: 'cluster-a',
        strategy: 'local',
        labels: { tier: 'gold' },
        services: { orders: 'http://127.0.0.1:18001' },
      },
      { id: 'sensor-1', strategy: 'none', services: { telemetry: 'http://127.0.0.1:18002' }, ws: true },
      { id: 'edge-best', strategy: 'best', services: { search: 'http://127.0.0.1:18003' } },
      { id: 'edge-all', strategy: 'all', services: { cache: 'http://127.0.0.1:18004' }, bundle: true },
    ] as const;
    await Promise.all(
      plan.map(async (p) => {
        const secret = await cp.addAgent(p.id);
        edges[p.id] = await startEdge({
          id: p.id,
          secret,
          url: 'ws' in p ? cp.wsUrl : cp.mqttUrl,
          strategy: p.strategy,
          site: `site-${p.id}`,
          labels: 'labels' in p ? p.labels : {},
          services: p.services,
          bundle: 'bundle' in p,
        });
      }),
    );
    // Both best and all also run a `billing` instance, worse (metric 5) than the central one (metric 1).
    for (const id of ['edge-best', 'edge-all']) {
      const res = await edges[id]!.api('/v1/services', {
        method: 'POST',
        body: JSON.stringify({ name: 'billing', url: `http://127.0.0.1:1900${id.length}`, metric: 5 }),
      });
      expect(res.status).toBe(201);
    }
    await waitFor(
      async () => (await routesOf('edge-all')).length === 2,
      'edge-all to advertise both services',
    );
  });

  afterAll(stopAll);

  it('the hub sees what each strategy advertises', async () => {
    await waitFor(async () => (await routesOf('edge-best')).length === 1, 'edge-best advert');
    expect(serviceNames(await routesOf('cluster-a'))).toEqual(['orders']);
    expect(serviceNames(await routesOf('sensor-1'))).toEqual([]);
    // best: the central billing (metric 1) beats its own (metric 5), and split horizon keeps it from going back.
    expect(serviceNames(await routesOf('edge-best'))).toEqual(['search']);
    expect(serviceNames(await routesOf('edge-all'))).toEqual(['billing', 'cache']);
  });

  it('every edge receives the central services it may see, and never another edge’s', async () => {
    const edgeServices = ['orders', 'telemetry', 'search', 'cache'];
    for (const [id, edge] of Object.entries(edges)) {
      const expected = id === 'cluster-a' ? ['billing', 'firmware'] : ['billing'];
      const routes = await waitFor(
        async () => {
          const { body } = await edge.api<{
            routes: { service: string; originKind: string; origin: string }[];
          }>('/v1/routes');
          const central = body.routes.filter((r) => r.originKind === 'central');
          return serviceNames(central).join() === expected.join() ? body.routes : undefined;
        },
        `${id} to receive ${expected.join(', ')}`,
      );
      const foreign = routes.filter((r) => r.origin !== id && r.origin !== 'central');
      expect(foreign, `${id} learned another edge's route`).toEqual([]);
      const own = edgeServices.filter((s) => routes.some((r) => r.service === s && r.origin === id));
      expect(own.length).toBeLessThanOrEqual(1);
    }
  });

  it('a central service added and removed at run time reaches the edges as deltas', async () => {
    const created = await cp.api('/api/v1/services', {
      method: 'POST',
      body: JSON.stringify({ name: 'ota', url: 'http://127.0.0.1:9003' }),
    });
    expect(created.status).toBe(201);
    for (const edge of Object.values(edges)) {
      await waitFor(
        async () =>
          serviceNames(
            (await edge.api<{ routes: { service: string }[] }>('/v1/routes')).body.routes,
          ).includes('ota'),
        `${edge.id} to learn ota`,
      );
    }
    expect((await cp.api('/api/v1/services/ota', { method: 'DELETE' })).status).toBe(204);
    for (const edge of Object.values(edges)) {
      await waitFor(
        async () =>
          !serviceNames(
            (await edge.api<{ routes: { service: string }[] }>('/v1/routes')).body.routes,
          ).includes('ota'),
        `${edge.id} to forget ota`,
      );
    }
  });

  it('the agents API shows every agent online with its strategy and site', async () => {
    const { body } = await cp.api<{
      agents: { id: string; status: string; strategy: string; site: string }[];
    }>('/api/v1/agents');
    const byId = Object.fromEntries(body.agents.map((a) => [a.id, a]));
    expect(byId['sensor-1']).toMatchObject({ status: 'online', strategy: 'none', site: 'site-sensor-1' });
    expect(byId['edge-best']).toMatchObject({ status: 'online', strategy: 'best' });
    const one = await cp.api(`/api/v1/agents/cluster-a`);
    expect(one.body).toMatchObject({ id: 'cluster-a', status: 'online', routeCount: 1 });
    expect((await cp.api('/api/v1/agents/nobody')).status).toBe(404);
  });

  it('the services API lists one row per service with its instances', async () => {
    const { body } = await cp.api<{
      services: { name: string; instances: { active: number; stale: number } }[];
    }>('/api/v1/services');
    const names = body.services.map((s) => s.name).sort();
    expect(names).toEqual(['billing', 'cache', 'firmware', 'orders', 'search']);
    expect(body.services.find((s) => s.name === 'billing')!.instances).toEqual({ active: 2, stale: 0 });
  });
});
