/**
 * `pnpm demo:strategies`: a control plane and four agents on loopback acting out go-micro's network scenarios, then the
 * resulting visibility table. Ctrl-C stops everything; `--once` exits after printing (for scripts and CI).
 */
import { stopAll } from '../helpers/processes.js';
import { startControlPlane, startEdge, type Edge } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';
import { demoShutdown, runUntilStopped } from './lifecycle.js';

type RouteView = { service: string; origin: string; originKind: string; metric: number; state: string };

const SCENARIOS = [
  {
    id: 'dc-b',
    strategy: 'local',
    site: 'dc-b',
    labels: { tier: 'gold' },
    services: { orders: 18501, inventory: 18502 },
    story: 'a cluster sharing its own services',
  },
  {
    id: 'dc-c',
    strategy: 'local',
    site: 'dc-c',
    labels: {},
    services: { payments: 18503 },
    story: 'another cluster; must not see dc-b through the hub',
  },
  {
    id: 'sensor',
    strategy: 'none',
    site: 'field-7',
    labels: {},
    services: { collector: 18504 },
    story: 'a data-reporting edge: shares nothing, consumes central services',
  },
  {
    id: 'edge-best',
    strategy: 'best',
    site: 'pop-1',
    labels: {},
    services: { search: 18505, billing: 18506 },
    story: 'best route per service: its billing (metric 5) loses to the central one (metric 1)',
  },
] as const;

async function main(): Promise<void> {
  console.log('Starting a control plane and four agents on loopback...\n');
  const cp = await startControlPlane({
    config: {
      services: [
        { name: 'billing', url: 'http://127.0.0.1:18601', metric: 1 },
        { name: 'firmware', url: 'http://127.0.0.1:18602', visibleTo: { labels: { tier: 'gold' } } },
      ],
    },
  });
  console.log(
    `control plane: API ${cp.apiBase}  MQTT ${cp.mqttUrl}  (central: billing, firmware for tier=gold)`,
  );
  const edges: Edge[] = [];
  for (const s of SCENARIOS) {
    const secret = await cp.addAgent(s.id);
    const services = Object.fromEntries(
      Object.entries(s.services).map(([n, p]) => [n, `http://127.0.0.1:${p}`]),
    );
    const edge = await startEdge({
      id: s.id,
      secret,
      url: cp.mqttUrl,
      strategy: s.strategy,
      site: s.site,
      labels: s.labels,
      services: s.id === 'edge-best' ? { search: services.search! } : services,
    });
    if (s.id === 'edge-best') {
      await edge.api('/v1/services', {
        method: 'POST',
        body: JSON.stringify({ name: 'billing', url: services.billing, metric: 5 }),
      });
    }
    edges.push(edge);
    console.log(`agent ${s.id.padEnd(10)} strategy=${s.strategy.padEnd(5)} ${s.story}`);
  }

  // Wait until every agent has its central routes and the hub has every advert.
  await waitFor(
    async () => {
      const views = await Promise.all(edges.map((e) => e.api<{ routes: RouteView[] }>('/v1/routes')));
      return views.every((v) => v.body.routes.some((r) => r.origin === 'central'));
    },
    'agents to converge',
    { timeoutMs: 20_000 },
  );
  await waitFor(
    async () => (await cp.api<{ routes: RouteView[] }>('/api/v1/routes?agent=dc-b')).body.routes.length === 2,
    'hub to converge',
  );

  const hub = (await cp.api<{ routes: RouteView[] }>('/api/v1/routes')).body.routes;
  const views = new Map<string, RouteView[]>();
  for (const e of edges) views.set(e.id, (await e.api<{ routes: RouteView[] }>('/v1/routes')).body.routes);

  const rows = new Map<string, string>(); // "service|origin" -> origin
  for (const r of hub) rows.set(`${r.service}|${r.origin}`, r.origin);
  for (const [id, routes] of views)
    for (const r of routes) if (r.origin === id) rows.set(`${r.service}|${r.origin}`, r.origin);
  const cols = ['hub', ...edges.map((e) => e.id)];
  const cell = (who: string, service: string, origin: string): string => {
    if (who === origin || (who === 'hub' && origin === 'central')) return 'own';
    const list = who === 'hub' ? hub : views.get(who)!;
    return list.some((r) => r.service === service && r.origin === origin) ? 'sees' : '-';
  };
  console.log('\nVisibility (who knows which route; "own" = offers it, "sees" = has the route):\n');
  console.log(['service'.padEnd(11), 'offered by'.padEnd(11), ...cols.map((c) => c.padEnd(10))].join(' '));
  for (const key of [...rows.keys()].sort()) {
    const [service, origin] = key.split('|') as [string, string];
    console.log(
      [service.padEnd(11), origin.padEnd(11), ...cols.map((c) => cell(c, service, origin).padEnd(10))].join(
        ' ',
      ),
    );
  }
  console.log(`
Read it as the seed article's scenarios:
- dc-b and dc-c (local) share their own services with the hub, and never see each other's: the hub never
  re-advertises one edge's services to another edge.
- sensor (none) offers "collector" locally but shares nothing; it still receives the central services.
- edge-best (best) advertises "search"; its "billing" (metric 5) loses to the central one (metric 1) and is not sent.
- firmware is visible only to edges labelled tier=gold (dc-b).`);

  return runUntilStopped(shutdown);
}

const shutdown = demoShutdown();

main().catch(async (err: unknown) => {
  console.error(err);
  await stopAll();
  process.exit(1);
});
