/**
 * `pnpm bench:convergence [--agents N] [--services 10] [--workers 2] [--spread-ms 2000] [--idle-seconds 60]`
 *
 * N simulated agents (raw MQTT connections in worker processes) each register `services` routes. Prints p50/p99
 * from an agent's registration to its routes' visibility in the control-plane API (the `/api/v1/events` stream,
 * written after the SQLite commit), p50/p99 from a central service's registration to its arrival at every
 * agent, control-plane RSS per agent, and the bytes one real, idle `tether-agent` sends per minute.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { startCountingProxy } from '../helpers/counting-proxy.js';
import { callWorker } from '../helpers/sim-workers.js';
import { stopAll } from '../helpers/processes.js';
import { startControlPlane, startEdge } from '../helpers/tether.js';
import { waitFor, sleep } from '../helpers/wait.js';
import type { FromWorker, ToWorker } from './sim-agents.js';
import { mib, ms, quantile, rssOf } from './stats.js';

const { values: opts } = parseArgs({
  // `pnpm bench:convergence -- --agents 1000` passes the `--` through.
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    agents: { type: 'string', default: '200' },
    services: { type: 'string', default: '10' },
    workers: { type: 'string', default: '2' },
    'spread-ms': { type: 'string', default: '2000' },
    'idle-seconds': { type: 'string', default: '60' },
  },
});
const N = Math.min(5000, Number(opts.agents));
const SERVICES = Number(opts.services);
const WORKERS = Math.max(1, Number(opts.workers));
const now = (): number => performance.timeOrigin + performance.now();

function workerCall(
  workers: ChildProcess[],
  msg: (i: number) => ToWorker,
  until: FromWorker['evt'],
): Promise<FromWorker[]> {
  return Promise.all(workers.map((w, i) => callWorker(w, msg(i), until)));
}

async function main(): Promise<void> {
  console.log(`bench:convergence: ${N} agents x ${SERVICES} services, ${WORKERS} simulator processes\n`);
  // Every simulated agent dials from 127.0.0.1: lift the per-address connection rate for this one source.
  const cp = await startControlPlane({
    args: ['--log-level', 'warn'],
    config: {
      limits: {
        connectRate: { perSecond: 10_000, burst: 10_000 },
        admissionRate: { perSecond: 10_000, burst: 10_000 },
      },
    },
  });
  const pid = cp.proc.child.pid!;
  await sleep(500);
  const rssBefore = rssOf(pid);

  const agents: { id: string; secret: string }[] = [];
  for (let i = 0; i < N; i += 32) {
    const ids = Array.from({ length: Math.min(32, N - i) }, (_, j) => `sim-${i + j}`);
    agents.push(...(await Promise.all(ids.map(async (id) => ({ id, secret: await cp.addAgent(id) })))));
  }

  // Every route-created event, stamped on arrival: visibility in the API.
  const seen = new Map<string, { count: number; at: number }>();
  const ws = new WebSocket(`${cp.apiBase.replace('http', 'ws')}/api/v1/events`, {
    headers: { authorization: `Bearer ${cp.token}` },
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.on('message', (data: Buffer) => {
    const e = JSON.parse(data.toString()) as { type: string; route?: { origin: string } };
    if (e.type !== 'route-created' || !e.route) return;
    const s = seen.get(e.route.origin) ?? { count: 0, at: 0 };
    s.count++;
    s.at = now();
    seen.set(e.route.origin, s);
  });

  const script = join(dirname(fileURLToPath(import.meta.url)), 'sim-agents.ts');
  const workers = Array.from({ length: WORKERS }, () => fork(script, [], { execArgv: ['--import', 'tsx'] }));
  const slices = workers.map((_, i) => agents.filter((_, j) => j % WORKERS === i));
  const connected = await workerCall(
    workers,
    (i) => ({ cmd: 'connect', url: cp.mqttUrl, agents: slices[i]!, services: SERVICES }),
    'connected',
  );
  const connectMs = Math.max(...connected.map((c) => (c.evt === 'connected' ? c.ms : 0)));

  const registered = await workerCall(
    workers,
    () => ({ cmd: 'register', spreadMs: Number(opts['spread-ms']) }),
    'registered',
  );
  const sentAt = Object.assign(
    {},
    ...registered.map((r) => (r.evt === 'registered' ? r.sentAt : {})),
  ) as Record<string, number>;
  await waitFor(
    () => [...seen.values()].filter((s) => s.count >= SERVICES).length >= N,
    'every agent visible',
    {
      timeoutMs: 120_000,
    },
  );
  const registration = agents.map((a) => seen.get(a.id)!.at - sentAt[a.id]!);
  const rssAfter = rssOf(pid);

  await workerCall(workers, () => ({ cmd: 'watch', service: 'bench-central' }), 'watching');
  const centralAt = now();
  const arrivalsP = workerCall(workers, () => ({ cmd: 'collect' }), 'arrived');
  const created = await cp.api('/api/v1/services', {
    method: 'POST',
    body: JSON.stringify({ name: 'bench-central', url: 'http://127.0.0.1:9' }),
  });
  if (created.status !== 201) throw new Error(`central service: ${created.status}`);
  const arrivals = (await arrivalsP).flatMap((a) => (a.evt === 'arrived' ? a.at : []));
  const central = arrivals.map((t) => t - centralAt);

  // One real agent, idle, behind a byte-counting proxy.
  const idleSeconds = Number(opts['idle-seconds']);
  const proxy = await startCountingProxy(Number(new URL(cp.mqttUrl).port));
  const idle = await startEdge({
    id: 'idle',
    secret: await cp.addAgent('idle'),
    url: `mqtt://127.0.0.1:${proxy.port}`,
    services: { a: 'http://127.0.0.1:1' },
  });
  await waitFor(
    async () => (await idle.api<{ state: string }>('/v1/status')).body.state === 'connected',
    'idle agent connected',
  );
  await sleep(1000);
  proxy.reset();
  console.log(`measuring an idle agent for ${idleSeconds} s ...`);
  await sleep(idleSeconds * 1000);
  const idleBytesPerMin = (proxy.counts().up * 60) / idleSeconds;

  console.log(`
connect ${N} agents (initial snapshot + routes)  ${ms(connectMs)}
registration -> visible in control-plane API   p50 ${ms(quantile(registration, 0.5))}  p99 ${ms(quantile(registration, 0.99))}   (target p99 < 100 ms at 1000 agents)
central service -> in every edge's routes      p50 ${ms(quantile(central, 0.5))}  p99 ${ms(quantile(central, 0.99))}   (${central.length}/${N} edges)
control-plane RSS                              ${mib(rssBefore)} -> ${mib(rssAfter)}, ${((rssAfter - rssBefore) / N / 1024).toFixed(1)} KiB per agent
idle agent -> control plane                    ${idleBytesPerMin.toFixed(0)} bytes/min (keepalives and digests only; no periodic full tables)
go-micro for comparison: route events batched every 5 s (p50 ~2500 ms by construction) and full tables every 60 s.`);

  ws.close();
  for (const w of workers) w.send({ cmd: 'stop' } satisfies ToWorker);
  await stopAll();
  await proxy.close();
}

main().catch(async (err: unknown) => {
  console.error(err);
  await stopAll();
  process.exit(1);
});
