/**
 * `pnpm bench:reads [--agents 20000] [--routes-per-agent 10] [--samples 200]`
 *
 * Fills a real control plane's SQLite through its stores (AgentStore, SqliteRouteTable), starts the control plane
 * on it, and prints side by side: the latency (p50/p99) and bytes of one page of `GET /api/v1/routes` and
 * `/api/v1/agents` against the old whole-table answer (the same stores listed whole and serialised, as the old
 * handler did, timed in this process), and `/healthz` latency (the event loop's delay as a client sees it) while
 * idle vs while a client pages through every route.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AgentStore, openDatabase, SqliteRouteTable } from '@tether/control-plane';
import { routeKey, type Route } from '@tether/shared';
import { listAll } from '../helpers/pages.js';
import { stopAll, tempDir } from '../helpers/processes.js';
import { startControlPlane, type ControlPlane } from '../helpers/tether.js';
import { ms, quantile } from './stats.js';

const { values: opts } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    agents: { type: 'string', default: '20000' },
    'routes-per-agent': { type: 'string', default: '10' },
    samples: { type: 'string', default: '200' },
  },
});
const AGENTS = Number(opts.agents);
const PER_AGENT = Number(opts['routes-per-agent']);
const SAMPLES = Number(opts.samples);
const now = (): number => performance.now();

function fill(dataDir: string): number {
  const t0 = now();
  const db = openDatabase(join(dataDir, 'tether.db'));
  const agents = new AgentStore(db);
  const table = new SqliteRouteTable(db);
  db.transaction(() => {
    for (let a = 0; a < AGENTS; a++) {
      const id = `edge-${String(a).padStart(5, '0')}`;
      agents.insert(id, 'x'.repeat(64), Date.now());
      const routes: Route[] = Array.from({ length: PER_AGENT }, (_, s) => ({
        service: `svc-${(a * 7 + s) % 500}`,
        address: `http://10.${a >> 8}.${a & 255}.${s}:8080`,
        origin: id,
        originKind: 'edge',
        site: `site-${a % 50}`,
        labels: { tier: a % 2 ? 'gold' : 'silver' },
        metric: 1,
        state: 'active',
        version: 1,
      }));
      table.apply(routes);
    }
  })();
  db.close();
  return now() - t0;
}

/** The old whole-table answers, made from the same stores the way the old handlers did. */
function wholeTable(dataDir: string): {
  routes: { ms: number; bytes: number };
  agents: { ms: number; bytes: number };
} {
  const db = openDatabase(join(dataDir, 'tether.db'));
  const table = new SqliteRouteTable(db);
  const agents = new AgentStore(db);
  table.count(); // loads the index first: the server holds it loaded
  let t0 = now();
  const routes = JSON.stringify({
    routes: table.list().map((r) => ({ ...r, key: routeKey(r), protocol: 'http' })),
  });
  const routesMs = now() - t0;
  t0 = now();
  const list = agents.list().map((a) => ({
    ...a,
    routeCount: table.count({ origin: a.id }),
    staleRoutes: table.count({ origin: a.id, state: 'stale' }),
  }));
  const agentsJson = JSON.stringify({ agents: list });
  const agentsMs = now() - t0;
  db.close();
  return {
    routes: { ms: routesMs, bytes: routes.length },
    agents: { ms: agentsMs, bytes: agentsJson.length },
  };
}

async function timed(cp: ControlPlane, path: string): Promise<{ ms: number; bytes: number }> {
  const t0 = now();
  const res = await fetch(`${cp.apiBase}${path}`, { headers: { authorization: `Bearer ${cp.token}` } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${text}`);
  return { ms: now() - t0, bytes: text.length };
}

async function pageFigures(
  cp: ControlPlane,
  path: string,
): Promise<{ p50: number; p99: number; bytes: number }> {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < SAMPLES; i++) {
    const r = await timed(cp, path);
    times.push(r.ms);
    bytes = r.bytes;
  }
  return { p50: quantile(times, 0.5), p99: quantile(times, 0.99), bytes };
}

/** `/healthz` every 5 ms until `during` settles: its latencies. */
async function probeDuring(cp: ControlPlane, during: Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  let done = false;
  void during.finally(() => (done = true));
  for (let i = 0; i < 100_000 && !done; i++) {
    times.push((await timed(cp, '/healthz')).ms);
    await new Promise((r) => setTimeout(r, 5));
  }
  await during;
  return times;
}

async function main(): Promise<void> {
  const dataDir = tempDir('tether-reads-');
  const fillMs = fill(dataDir);
  const whole = wholeTable(dataDir);
  const cp = await startControlPlane({ dataDir });
  try {
    await timed(cp, '/api/v1/routes?limit=1'); // loads the index
    const routesPage = await pageFigures(cp, '/api/v1/routes');
    const deepPage = await pageFigures(cp, `/api/v1/routes?site=site-7&limit=100`);
    const agentsPage = await pageFigures(cp, '/api/v1/agents');
    const topologyPage = await pageFigures(cp, '/api/v1/topology');
    const idle = await probeDuring(cp, new Promise((r) => setTimeout(r, 2_000)));
    let walked = 0;
    const t0 = now();
    const busy = await probeDuring(
      cp,
      listAll(cp, '/api/v1/routes', 'routes').then((rows) => (walked = rows.length)),
    );
    const walkMs = now() - t0;
    const ratio = (a: number, b: number): string => `${(a / b).toFixed(1)}x`;
    console.log(`load average: ${(await import('node:fs')).readFileSync('/proc/loadavg', 'utf8').trim()}`);
    console.log(`filled ${AGENTS} agents / ${AGENTS * PER_AGENT} routes through the stores in ${ms(fillMs)}`);
    console.log(
      `GET /api/v1/routes, one page of 100: p50 ${ms(routesPage.p50)} p99 ${ms(routesPage.p99)}, ${routesPage.bytes} B` +
        ` | old whole table: ${ms(whole.routes.ms)} to list and serialise, ${whole.routes.bytes} B` +
        ` (${ratio(whole.routes.ms, routesPage.p50)} the page's p50, ${ratio(whole.routes.bytes, routesPage.bytes)} the bytes)`,
    );
    console.log(
      `GET /api/v1/routes?site=site-7 (2% match, walks past the rest): p50 ${ms(deepPage.p50)} p99 ${ms(deepPage.p99)}, ${deepPage.bytes} B`,
    );
    console.log(
      `GET /api/v1/agents, one page of 100: p50 ${ms(agentsPage.p50)} p99 ${ms(agentsPage.p99)}, ${agentsPage.bytes} B` +
        ` | old whole table: ${ms(whole.agents.ms)}, ${whole.agents.bytes} B` +
        ` (${ratio(whole.agents.ms, agentsPage.p50)}, ${ratio(whole.agents.bytes, agentsPage.bytes)} the bytes)`,
    );
    console.log(
      `GET /api/v1/topology, one page of 100 edges: p50 ${ms(topologyPage.p50)} p99 ${ms(topologyPage.p99)}, ${topologyPage.bytes} B`,
    );
    console.log(
      `paging through all ${walked} routes (1,000 a page): ${ms(walkMs)}; /healthz meanwhile p50 ${ms(quantile(busy, 0.5))}` +
        ` p99 ${ms(quantile(busy, 0.99))} max ${ms(Math.max(...busy))} (${busy.length} probes)` +
        ` | idle p50 ${ms(quantile(idle, 0.5))} p99 ${ms(quantile(idle, 0.99))} (p99 ratio ${ratio(quantile(busy, 0.99), quantile(idle, 0.99))})`,
    );
  } finally {
    await stopAll();
  }
}

await main();
