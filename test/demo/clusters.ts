/**
 * `pnpm demo`: the seed article's last section on loopback. Three clusters, each with its own registry:
 * a go-micro cluster on etcd (a real etcd, go-micro's key layout), one on mDNS (a real avahi-daemon and
 * avahi-publish in a network namespace; needs root), one on a services file; one central service. Each cluster's
 * agent imports its registry (`--source`); the demo prints who sees what, calls into each cluster from the centre
 * and from one edge to the centre. `--once` exits after printing.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { avahiUnavailable, createAvahiLink, type AvahiLink } from '../helpers/avahi.js';
import { startEchoService, type EchoInfo, type EchoService } from '../helpers/echo-service.js';
import { microKey, microService, startEtcd, type EtcdServer } from '../helpers/etcd.js';
import { tempDir } from '../helpers/processes.js';
import { startControlPlane, startEdge, type Edge } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';
import { demoShutdown, runUntilStopped } from './lifecycle.js';

type RouteView = { service: string; origin: string; source?: string; state: string };

let etcd: EtcdServer | undefined;
let link: AvahiLink | undefined;
const echoes: EchoService[] = [];

async function main(): Promise<void> {
  const central = await startEchoService();
  const greeter = await startEchoService();
  const inventory = await startEchoService();
  echoes.push(central, greeter, inventory);
  const cp = await startControlPlane({ config: { services: [{ name: 'central-api', url: central.url }] } });
  console.log(`control plane: API ${cp.apiBase}  MQTT ${cp.mqttUrl}  (central service: central-api)\n`);
  const clusters: Array<{ edge: Edge; service: string; registry: string }> = [];

  // 1. A go-micro cluster: its services live in etcd under /micro/registry/.
  etcd = await startEtcd();
  const node = { id: 'greeter-1', address: new URL(greeter.url).host, metadata: { zone: 'eu' } };
  await etcd.put(microKey('go.micro.srv.greeter', node.id), microService('go.micro.srv.greeter', node));
  clusters.push({
    edge: await startEdge({
      id: 'cluster-etcd',
      secret: await cp.addAgent('cluster-etcd'),
      url: cp.mqttUrl,
      args: ['--source', etcd.sourceUrl],
    }),
    service: 'go.micro.srv.greeter',
    registry: `etcd ${etcd.url} (go-micro layout)`,
  });

  // 2. A cluster on a services file.
  const file = join(tempDir('tether-demo-'), 'services.yaml');
  writeFileSync(
    file,
    `services:\n  - name: inventory\n    url: ${inventory.url}\n    labels: { team: stock }\n`,
  );
  clusters.push({
    edge: await startEdge({
      id: 'cluster-file',
      secret: await cp.addAgent('cluster-file'),
      url: cp.mqttUrl,
      args: ['--source', `file://${file}`],
    }),
    service: 'inventory',
    registry: `file ${file}`,
  });

  // 3. A cluster on the mDNS link of its own network namespace, its service announced by avahi-publish.
  const noMdns = avahiUnavailable();
  if (noMdns) console.log(`(the mDNS cluster is left out: ${noMdns})\n`);
  else {
    link = await createAvahiLink();
    const port = 18_710;
    const server = spawn(
      link.wrap[0]!,
      [
        ...link.wrap.slice(1),
        process.execPath,
        '-e',
        `require('node:http').createServer((q, s) => s.end('printers in the mDNS cluster: ' + q.url)).listen(${port}, '127.0.0.1')`,
      ],
      { stdio: 'ignore' },
    );
    process.on('exit', () => server.kill('SIGKILL'));
    await link.publish('printers', port, { floor: '2' });
    clusters.push({
      edge: await startEdge({
        id: 'cluster-mdns',
        secret: await cp.addAgent('cluster-mdns'),
        url: `mqtt://${link.hostAddress}:${new URL(cp.mqttUrl).port}`,
        netns: { wrap: link.wrap, apiHost: link.nsAddress },
        args: ['--source', 'mdns://?type=_http._tcp'],
      }),
      service: 'printers',
      registry: `mDNS in network namespace ${link.ns} (avahi-publish)`,
    });
  }
  for (const c of clusters) console.log(`agent ${c.edge.id.padEnd(13)} imports ${c.registry}`);

  const hubRoutes = async (): Promise<RouteView[]> =>
    (await cp.api<{ routes: RouteView[] }>('/api/v1/routes')).body.routes;
  await waitFor(
    async () => {
      const routes = await hubRoutes();
      return clusters.every((c) => routes.some((r) => r.service === c.service && r.state === 'active'));
    },
    'every cluster at the hub',
    { timeoutMs: 20_000 },
  );
  await waitFor(
    async () =>
      (await Promise.all(clusters.map((c) => c.edge.api<{ routes: RouteView[] }>('/v1/routes')))).every((v) =>
        v.body.routes.some((r) => r.origin === 'central'),
      ),
    'every agent has the central routes',
  );

  console.log('\nWho sees what ("own" = offers it, "sees" = has the route, "-" = does not):\n');
  const views = new Map<string, RouteView[]>();
  for (const c of clusters)
    views.set(c.edge.id, (await c.edge.api<{ routes: RouteView[] }>('/v1/routes')).body.routes);
  const hub = await hubRoutes();
  const cols = ['hub', ...clusters.map((c) => c.edge.id)];
  console.log(['service'.padEnd(22), 'source'.padEnd(8), ...cols.map((c) => c.padEnd(13))].join(' '));
  for (const r of hub) {
    const cell = (who: string): string =>
      who === r.origin || (who === 'hub' && r.origin === 'central')
        ? 'own'
        : (who === 'hub' ? hub : (views.get(who) ?? [])).some((v) => v.service === r.service)
          ? 'sees'
          : '-';
    console.log(
      [r.service.padEnd(22), (r.source ?? 'central').padEnd(8), ...cols.map((c) => cell(c).padEnd(13))].join(
        ' ',
      ),
    );
  }

  console.log('\nCalls:');
  for (const c of clusters) {
    const res = await cp.fetch(`/call/${c.service}/hello`);
    const info = JSON.parse(res.headers.get('x-echo-info') ?? 'null') as EchoInfo | null;
    const body = info ? `the service saw ${info.method} ${info.url}` : await res.text();
    console.log(`  centre -> ${c.service.padEnd(22)} ${res.status}  ${body}`);
  }
  const from = clusters[0]!.edge;
  const res = await fetch(`${from.apiBase}/call/central-api/status`);
  console.log(
    `  ${from.id.padEnd(13)} -> central-api    ${res.status}  reached the centre (${central.seen.length} request)`,
  );
  console.log(`
The clusters never see each other's services: the hub never re-advertises one edge's routes to another edge.`);
  return runUntilStopped(shutdown);
}

const shutdown = demoShutdown(async () => {
  await link?.close();
  await etcd?.stop();
  for (const e of echoes) await e.close();
});

main().catch(async (err: unknown) => {
  console.error(err);
  await shutdown(1);
});
