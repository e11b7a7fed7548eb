/**
 * `pnpm bench:sources [--changes 200] [--services 10000]`
 *
 * A registry change to its visibility in the control plane's API (the `/api/v1/events` stream, written after the
 * SQLite commit): `changes` etcd puts and deletes in go-micro's layout (a real etcd), and `changes` edits of a
 * watched services file, one at a time; p50/p99 each. Then `services` go-micro services under one etcd prefix,
 * written before the agent starts: the time from the agent's start to all of them in the control plane's API, and
 * the agent's RSS holding them (against the same agent with no source).
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { microKey, microService, startEtcd } from '../helpers/etcd.js';
import { listAll } from '../helpers/pages.js';
import { stopAll, tempDir } from '../helpers/processes.js';
import { startControlPlane, startEdge, type ControlPlane } from '../helpers/tether.js';
import { sleep, waitFor } from '../helpers/wait.js';
import { mib, ms, quantile, rssOf } from './stats.js';

const { values: opts } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: { changes: { type: 'string', default: '200' }, services: { type: 'string', default: '10000' } },
});
const CHANGES = Math.min(2_000, Number(opts.changes));
const SERVICES = Math.min(50_000, Number(opts.services));
const now = (): number => performance.timeOrigin + performance.now();

/** Route events of the control plane, stamped on arrival; `next` waits for one matching event. */
async function routeEvents(cp: ControlPlane) {
  const ws = new WebSocket(`${cp.apiBase.replace('http', 'ws')}/api/v1/events`, {
    headers: { authorization: `Bearer ${cp.token}` },
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  let waiter:
    { match: (type: string, service: string) => boolean; resolve: (at: number) => void } | undefined;
  let created = 0;
  ws.on('message', (data: Buffer) => {
    const at = now();
    const e = JSON.parse(data.toString()) as { type: string; route?: { service: string } };
    if (!e.route) return;
    if (e.type === 'route-created') created++;
    if (waiter?.match(e.type, e.route.service)) {
      waiter.resolve(at);
      waiter = undefined;
    }
  });
  return {
    created: () => created,
    next: (type: string, service: string, timeoutMs = 10_000): Promise<number> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${type} for ${service}`)), timeoutMs);
        waiter = {
          match: (t, s) => t === type && s === service,
          resolve: (at) => {
            clearTimeout(timer);
            resolve(at);
          },
        };
      }),
    close: () => ws.close(),
  };
}

/** Runs `change` then waits for its event, `CHANGES` times (alternating add and remove); the latencies. */
async function measure(
  events: Awaited<ReturnType<typeof routeEvents>>,
  change: (i: number, add: boolean) => Promise<void>,
): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < CHANGES; i++) {
    const add = i % 2 === 0;
    const service = `svc-${Math.floor(i / 2)}`;
    const seen = events.next(add ? 'route-created' : 'route-deleted', service);
    const t0 = now();
    await change(Math.floor(i / 2), add);
    out.push((await seen) - t0);
  }
  return out;
}

const line = (what: string, values: number[]): string =>
  `${what.padEnd(34)} p50 ${ms(quantile(values, 0.5)).padStart(10)}   p99 ${ms(quantile(values, 0.99)).padStart(10)}   (n=${values.length})`;

async function main(): Promise<void> {
  console.log(`bench:sources: ${CHANGES} changes per registry, ${SERVICES} services imported\n`);
  const etcd = await startEtcd();
  const cp = await startControlPlane();
  const events = await routeEvents(cp);
  const address = (i: number): string => `127.0.0.1:${20_000 + (i % 40_000)}`;

  // 1. etcd put / delete -> the hub's API.
  const dir = tempDir('tether-bench-sources-');
  const file = join(dir, 'services.yaml');
  writeFileSync(file, '[]');
  const agent = await startEdge({
    id: 'bench-sources',
    secret: await cp.addAgent('bench-sources'),
    url: cp.mqttUrl,
    args: ['--source', `${etcd.sourceUrl}/bench/`, '--source', `file://${file}`],
  });
  await waitFor(async () => {
    const { sources } = (await agent.api<{ sources: { phase: string }[] }>('/v1/status')).body;
    return sources.filter((s) => s.phase === 'synced').length === 3;
  }, 'every source synced');
  const etcdMs = await measure(events, (i, add) => {
    const name = `svc-${i}`;
    const key = microKey(name, `${name}-1`, '/bench/');
    const value = microService(name, { id: `${name}-1`, address: address(i) });
    return add ? etcd.put(key, value) : etcd.delete(key);
  });

  // 2. A file edit (a new file renamed over the old one) -> the hub's API.
  let writes = 0;
  const fileMs = await measure(events, async (i, add) => {
    const services = add ? [{ name: `svc-${i}`, url: `http://${address(i)}` }] : [];
    writeFileSync(join(dir, `.w${writes}`), JSON.stringify(services));
    renameSync(join(dir, `.w${writes++}`), file);
  });
  await agent.proc.stop();

  // 3. Many services under one prefix, written before the agent starts.
  const entries: Array<[string, string]> = [];
  for (let i = 0; i < SERVICES; i++) {
    const name = `bulk-${i}`;
    entries.push([microKey(name, `${name}-1`), microService(name, { id: `${name}-1`, address: address(i) })]);
  }
  await etcd.putMany(entries, 100); // etcd allows 128 operations a transaction
  const bare = await startEdge({
    id: 'bench-bare',
    secret: await cp.addAgent('bench-bare'),
    url: cp.mqttUrl,
  });
  await sleep(2_000);
  const bareRss = rssOf(bare.proc.child.pid!);
  await bare.proc.stop();
  const before = events.created();
  const t0 = now();
  const bulk = await startEdge({
    id: 'bench-bulk',
    secret: await cp.addAgent('bench-bulk'),
    url: cp.mqttUrl,
    args: ['--source', etcd.sourceUrl],
  });
  const readyMs = now() - t0;
  await waitFor(
    async () => (await bulk.api<{ services: unknown[] }>('/v1/services')).body.services.length >= SERVICES,
    `${SERVICES} services at the agent`,
    { timeoutMs: 120_000 },
  );
  const agentMs = now() - t0;
  await waitFor(() => events.created() - before >= SERVICES, `${SERVICES} routes at the hub`, {
    timeoutMs: 120_000,
  });
  const importMs = now() - t0;
  const count = (await listAll(cp, '/api/v1/routes?agent=bench-bulk', 'routes')).length;
  await sleep(2_000);
  const bulkRss = rssOf(bulk.proc.child.pid!);

  console.log(line('etcd put/delete -> hub API', etcdMs));
  console.log(line('file edit -> hub API', fileMs));
  console.log(
    `${SERVICES} etcd services: agent start -> all ${count} in the hub's API: ${ms(importMs)}` +
      ` (agent ready ${ms(readyMs)}, all listed by the agent ${ms(agentMs)})`,
  );
  console.log(
    `agent RSS: ${mib(bulkRss)} with ${SERVICES} imported, ${mib(bareRss)} with none (${(bulkRss / bareRss).toFixed(2)}x)`,
  );
  console.log(
    `\ngoals: change -> API p99 <= 200 ms (go-micro's router batched for 5 s); ${SERVICES} imported in <= 5 s`,
  );
  events.close();
  await stopAll();
  await etcd.stop();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
