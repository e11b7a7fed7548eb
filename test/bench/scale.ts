/**
 * `pnpm bench:scale [--agents 2000] [--services 10] [--workers 2] [--idle-seconds 10] [--churn-seconds 30]
 * [--spread-ms 5000] [--window 100] [--in-flight 64] [--skip-cluster] [--only-cluster]
 * [--profile DIR] [--base BIN]`
 *
 * Simulated agents (raw MQTT connections in worker processes, sim-agents.ts), each advertising `services` routes,
 * first against a bare aedes broker (raw-aedes.ts: the floor), then against one control plane and then against two
 * replicas on Redis (docs/cluster.md). Prints agents connected per second and the ratio to the floor, time to
 * connect them all, where the control plane's event loop went per connect stage, control-plane RSS and CPU per
 * 1,000 idle agents, route convergence p99 while 1% of the agents flap per minute, the time until every route is
 * active again after kill -9 + restart with the same data directory (API p99 during that storm), and the time
 * until every agent of a killed replica is back on the survivor. `--agents 20000` is the issue's full run.
 * `--base` runs the single control plane of another build first (its `tether-cp.js`, e.g. a copy of main's
 * control-plane/bin + dist), then this one, with the same simulator and floor: before and after side by side; the
 * two-replica phase likewise. `--profile DIR` also profiles the surviving replica.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { callWorker } from '../helpers/sim-workers.js';
import { listAll } from '../helpers/pages.js';
import { stopAll } from '../helpers/processes.js';
import { startRedis } from '../helpers/redis.js';
import { redisCli } from '../helpers/redis-cli.js';
import { startControlPlane, type ControlPlane } from '../helpers/tether.js';
import { sleep, waitFor } from '../helpers/wait.js';
import type { ToWorker } from './sim-agents.js';
import { mib, ms, quantile, rssOf } from './stats.js';

const { values: opts } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    agents: { type: 'string', default: '2000' },
    services: { type: 'string', default: '10' },
    workers: { type: 'string', default: '2' },
    'idle-seconds': { type: 'string', default: '10' },
    'churn-seconds': { type: 'string', default: '30' },
    'spread-ms': { type: 'string', default: '5000' },
    /** The single control plane's limits.connectsInFlight.max (default: the control plane's own default). */
    'in-flight': { type: 'string' },
    /** Connects each simulator process keeps in flight. */
    window: { type: 'string', default: '100' },
    'skip-cluster': { type: 'boolean', default: false },
    /** Runs the two-replica phase alone (no floor, no single control plane). */
    'only-cluster': { type: 'boolean', default: false },
    /** Writes the single control plane's CPU profiles there (its first life ends with SIGTERM, not kill -9). */
    profile: { type: 'string' },
    /** Prints the restart storm's progress every 5 s (active routes, connects in flight and waiting, resumes). */
    trace: { type: 'boolean', default: false },
    /** Another build's tether-cp.js, run first for comparison. */
    base: { type: 'string' },
  },
});
const N = Number(opts.agents);
const SERVICES = Number(opts.services);
const WORKERS = Math.max(1, Number(opts.workers));
const now = (): number => performance.timeOrigin + performance.now();
const PROFILE = opts.profile;
const nodeArgs = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : [];
// One control plane, raw capacity: neither connection rate limits the simulator.
const LIMITS = {
  limits: {
    connectRate: { perSecond: 100_000, burst: 100_000 },
    admissionRate: { perSecond: 100_000, burst: 100_000 },
    ...(opts['in-flight'] ? { connectsInFlight: { max: Number(opts['in-flight']) } } : {}),
  },
};

/** CPU seconds (user + system) a process used so far, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A function returning the CPU seconds each process used since this call. */
function cpuOf(procs: { pid?: number | undefined }[]): () => number[] {
  const before = procs.map((p) => cpuSeconds(p.pid!));
  return () => procs.map((p, i) => cpuSeconds(p.pid!) - before[i]!);
}
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const perAgent = (seconds: number): string => ((seconds * 1000) / N).toFixed(2);

const call = callWorker;

async function createAgents(cp: ControlPlane, prefix: string): Promise<{ id: string; secret: string }[]> {
  const agents: { id: string; secret: string }[] = [];
  for (let i = 0; i < N; i += 64) {
    const ids = Array.from({ length: Math.min(64, N - i) }, (_, j) => `${prefix}-${i + j}`);
    agents.push(...(await Promise.all(ids.map(async (id) => ({ id, secret: await cp.addAgent(id) })))));
  }
  return agents;
}

/** Route events by origin, stamped on arrival (after the SQLite commit). */
async function watchRoutes(
  cp: ControlPlane,
): Promise<{ times: Map<string, number[]>; count: () => number; close(): void }> {
  const times = new Map<string, number[]>();
  let count = 0;
  const ws = new WebSocket(`${cp.apiBase.replace('http', 'ws')}/api/v1/events`, {
    headers: { authorization: `Bearer ${cp.token}` },
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.on('message', (data: Buffer) => {
    const e = JSON.parse(data.toString()) as { type: string; route?: { origin: string; state?: string } };
    if (!e.route || (e.type !== 'route-created' && e.type !== 'route-updated')) return;
    if (e.type === 'route-created') count++;
    const list = times.get(e.route.origin) ?? [];
    list.push(now());
    times.set(e.route.origin, list);
  });
  return { times, count: () => count, close: () => ws.close() };
}

const here = dirname(fileURLToPath(import.meta.url));
const forkWorkers = (): ChildProcess[] =>
  Array.from({ length: WORKERS }, () =>
    fork(join(here, 'sim-agents.ts'), [], { execArgv: ['--import', 'tsx'] }),
  );

/** Connects every agent (split over the workers) to `url`; the time until the last one got its `agent-routes`. */
async function connectAll(workers: ChildProcess[], url: string, agents: { id: string; secret: string }[]) {
  const connected = await Promise.all(
    workers.map((w, i) =>
      call(
        w,
        {
          cmd: 'connect',
          url,
          agents: agents.filter((_, j) => j % WORKERS === i),
          services: SERVICES,
          withRoutes: true,
          window: Number(opts.window),
        },
        'connected',
      ),
    ),
  );
  return Math.max(...connected.map((c) => (c.evt === 'connected' ? c.ms : 0)));
}

/** The floor: the same simulator against a bare aedes broker in its own process. Returns agents connected/s. */
async function raw(): Promise<number> {
  const broker = fork(join(here, 'raw-aedes.ts'), [], { execArgv: ['--import', 'tsx'] });
  const port = await new Promise<number>((resolve) =>
    broker.once('message', (m: { port: number }) => resolve(m.port)),
  );
  const workers = forkWorkers();
  const agents = Array.from({ length: N }, (_, i) => ({ id: `raw-${i}`, secret: 'x' }));
  const cpu = cpuOf([broker, ...workers]);
  const connectMs = await connectAll(workers, `mqtt://127.0.0.1:${port}`, agents);
  const [brokerCpu, ...workerCpu] = cpu();
  for (const w of workers) w.send({ cmd: 'stop' } satisfies ToWorker);
  broker.kill('SIGKILL');
  const rate = (N / connectMs) * 1000;
  console.log(
    `\n== floor: bare aedes, same simulator\nagents connected/s (raw aedes)          ${rate.toFixed(0)} (${ms(connectMs)} for ${N})
CPU ms per agent while connecting        aedes ${perAgent(brokerCpu!)}, simulator ${perAgent(sum(workerCpu))} (${WORKERS} processes)`,
  );
  return rate;
}

/** Event-loop ms per agent connect, by stage, from the control plane's /metrics. */
async function stagesOf(cp: ControlPlane): Promise<string> {
  return stagesBetween(new Map(), await stageSeconds(cp), N);
}

/** The latencies (ms) of the API the operator watches, collected until stopped. */
interface ApiLatencies {
  /** `/healthz`, every 100 ms: how responsive the event loop is. */
  healthz: number[];
  /** `/api/v1/agents`, `/api/v1/topology` and `/healthz` together, once a second (a dashboard refreshing). */
  reads: number[];
}

/** Polls the API (ApiLatencies) until stopped; each loop bounded in count. */
function probeApi(cp: ControlPlane): { stop(): Promise<ApiLatencies> } {
  const out: ApiLatencies = { healthz: [], reads: [] };
  let running = true;
  const timed = async (paths: string[], into: number[], everyMs: number): Promise<void> => {
    for (let i = 0; running && i < 100_000; i++) {
      const started = now();
      await Promise.all(paths.map((p) => cp.api(p).catch(() => undefined)));
      into.push(now() - started);
      await sleep(everyMs);
    }
  };
  const loops = Promise.all([
    timed(['/healthz'], out.healthz, 100),
    timed(['/api/v1/agents', '/api/v1/topology', '/healthz'], out.reads, 1000),
  ]);
  return { stop: async () => ((running = false), await loops, out) };
}

/** p99 of both probes, printed. */
const p99s = (l: ApiLatencies): string =>
  `healthz ${ms(quantile(l.healthz, 0.99))}, agents+topology+healthz ${ms(quantile(l.reads, 0.99))}`;

/** The kernel's count of handshakes dropped by full listen queues (whole machine: other load counts too). */
function listenOverflows(): number {
  const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
  const names = lines.find((l) => l.startsWith('TcpExt:'))?.split(' ') ?? [];
  const values = lines.filter((l) => l.startsWith('TcpExt:'))[1]?.split(' ') ?? [];
  return Number(values[names.indexOf('ListenOverflows')] ?? 0);
}

/** One line of the storm's progress (`--trace`): the control plane's gauges and counters that tell where it is. */
async function traceStorm(cp: ControlPlane, started: number): Promise<void> {
  const text = await (await fetch(`${cp.apiBase}/metrics`).catch(() => undefined))?.text();
  if (!text) return;
  const pick = (re: RegExp): string => [...text.matchAll(re)].map((m) => `${m[1]}=${m[2]}`).join(' ');
  console.log(
    `  +${((now() - started) / 1000).toFixed(0)} s`,
    pick(/^tether_routes\{state="(active)"\} (\d+)$/gm),
    pick(/^tether_(connects_(?:in_flight|waiting)) (\d+)$/gm),
    pick(/^tether_resumes_total\{outcome="([\w-]+)"\} (\d+)$/gm),
    pick(/^tether_connect_refusals_total\{reason="(\w+)"\} (\d+)$/gm),
    pick(/^nodejs_(eventloop_lag_(?:p99|max))_seconds ([\d.e+-]+)$/gm),
    `listen-queue drops so far=${listenOverflows()}`,
  );
}

/** CONNECTs refused as busy (connects in flight at their bound) so far. */
async function busyRefusals(cp: ControlPlane): Promise<number> {
  const text = await (await fetch(`${cp.apiBase}/metrics`)).text();
  return Number(/^tether_connect_refusals_total\{reason="busy"\} (\d+)$/m.exec(text)?.[1] ?? 0);
}

async function activeRoutes(cp: ControlPlane): Promise<number> {
  const text = await (await fetch(`${cp.apiBase}/metrics`)).text();
  return Number(/^tether_routes\{state="active"\} (\d+)$/m.exec(text)?.[1] ?? 0);
}

/**
 * kill -9 of the control plane, restarted on the same data directory; every agent dials the new one after a jitter
 * of `spread-ms`. Returns the time until every route is active again and the API p99 during that storm.
 */
async function restart(
  cp: ControlPlane,
  workers: ChildProcess[],
  bin: string | undefined,
): Promise<{
  ms: number;
  api: ApiLatencies;
  refused: number;
  overflows: number;
  cpu: number;
  commits: number;
}> {
  await cp.proc.stop(PROFILE ? 'SIGTERM' : 'SIGKILL');
  const started = now();
  const overflows = listenOverflows();
  const next = await startControlPlane({
    bin,
    nodeArgs,
    dataDir: cp.dataDir,
    args: ['--log-level', 'warn'],
    config: LIMITS,
  });
  const probe = probeApi(next);
  const trace = opts.trace ? setInterval(() => void traceStorm(next, started), 5000) : undefined;
  const spreadMs = Number(opts['spread-ms']);
  await Promise.all(
    workers.map((w) => call(w, { cmd: 'failover', url: next.mqttUrl, spreadMs }, 'failedOver')),
  );
  await waitFor(async () => (await activeRoutes(next)) >= N * SERVICES, 'every route active again', {
    timeoutMs: 600_000,
    intervalMs: 200,
  });
  const recoveredMs = now() - started;
  // From its spawn (its start included) to every route active again.
  const cpu = cpuSeconds(next.proc.child.pid!);
  const commits = await commitRuns(next);
  clearInterval(trace);
  const api = await probe.stop();
  const refused = await busyRefusals(next);
  if (PROFILE) await next.proc.stop('SIGTERM');
  return { ms: recoveredMs, api, refused, overflows: listenOverflows() - overflows, cpu, commits };
}

/** One control plane (this build, or the one at `bin`): the figures above, printed. */
async function single(floor: number, bin?: string): Promise<void> {
  const build = bin ? `base build ${bin}` : 'this build';
  console.log(
    `\n== one control plane (${build}): ${N} agents x ${SERVICES} routes, ${WORKERS} simulator processes`,
  );
  const cp = await startControlPlane({ bin, nodeArgs, args: ['--log-level', 'warn'], config: LIMITS });
  const pid = cp.proc.child.pid!;
  const agents = await createAgents(cp, 'sim');
  const routes = await watchRoutes(cp);
  await sleep(500);
  const rssBefore = rssOf(pid);
  const workers = forkWorkers();
  const started = now();
  const cpu = cpuOf([cp.proc.child, ...workers]);
  const overflows = listenOverflows();
  const commitsBefore = await commitRuns(cp);
  const connectMs = await connectAll(workers, cp.mqttUrl, agents);
  const coldCommits = (await commitRuns(cp)) - commitsBefore;
  const coldOverflows = listenOverflows() - overflows;
  const [cpCpu, ...workerCpu] = cpu();
  await waitFor(() => routes.count() >= N * SERVICES, 'every route in the API', {
    timeoutMs: 600_000,
    intervalMs: 200,
  });
  const allVisibleMs = now() - started;
  const stages = await stagesOf(cp);
  await sleep(2000);
  const rssIdle = rssOf(pid);
  const idleSeconds = Number(opts['idle-seconds']);
  const cpu0 = cpuSeconds(pid);
  await sleep(idleSeconds * 1000);
  const idleCpu = (cpuSeconds(pid) - cpu0) / idleSeconds;
  const idleProbe = probeApi(cp);
  await sleep(3000);
  const idleApi = await idleProbe.stop();
  const coldRefused = await busyRefusals(cp);

  // Churn: 1% of the agents a minute drop and reconnect with a fresh snapshot; convergence = snapshot sent ->
  // the first route event of that agent in the API.
  const churnMs = Number(opts['churn-seconds']) * 1000;
  const flapped = await Promise.all(
    workers.map((w) =>
      call(w, { cmd: 'flap', perMinute: Math.max(1, (N * 0.01) / WORKERS), durationMs: churnMs }, 'flapped'),
    ),
  );
  await sleep(1000);
  const convergence: number[] = [];
  for (const f of flapped) {
    if (f.evt !== 'flapped') continue;
    for (const [id, at] of f.sentAt) {
      const first = routes.times.get(id)?.find((t) => t >= at);
      if (first !== undefined) convergence.push(first - at);
    }
  }
  const rss = rssOf(pid);
  routes.close();
  const restarted = await restart(cp, workers, bin);
  const rate = (N / connectMs) * 1000;
  const rss10k = (rssBefore + ((rssIdle - rssBefore) * 20_000) / N) / 1024 ** 3;
  console.log(`agents connected/s                     ${rate.toFixed(0)}; ratio to raw aedes ${(rate / floor).toFixed(2)}
time to connect ${N} (answered)           ${ms(connectMs)}; all ${N * SERVICES} routes in the API after ${ms(allVisibleMs)}; ${coldRefused} CONNECTs refused as busy; ${coldOverflows} listen-queue drops
CPU ms per agent while connecting        control plane ${perAgent(cpCpu!)}, simulator ${perAgent(sum(workerCpu))}; ${(N / Math.max(1, coldCommits)).toFixed(2)} agents per group commit
event-loop ms per agent, by stage        ${stages}
control-plane RSS                        ${mib(rssBefore)} -> ${mib(rssIdle)} idle (${mib(((rssIdle - rssBefore) / N) * 1000)} per 1,000 agents); ${mib(rss)} after churn
control-plane CPU idle                   ${(idleCpu * 100).toFixed(1)}% of a core (${((idleCpu * 100 * 1000) / N).toFixed(2)}% per 1,000 agents)
convergence under churn (1%/min flaps)   p50 ${ms(quantile(convergence, 0.5))}  p99 ${ms(quantile(convergence, 0.99))}  (${convergence.length} flaps)
kill -9 + restart, same data dir         every route active again after ${ms(restarted.ms)} (jitter ${opts['spread-ms']} ms; ${restarted.refused} CONNECTs refused as busy; ${restarted.overflows} listen-queue drops)
CPU ms per agent, restart (start incl.)  control plane ${perAgent(restarted.cpu)}; ${(N / Math.max(1, restarted.commits)).toFixed(2)} agents per group commit
API p99 during the restart storm         ${p99s(restarted.api)}
API p99 idle, same fleet                 ${p99s(idleApi)}
targets: connects/s >= 1,000 -> ratio ${(rate / 1000).toFixed(2)}; ratio to raw aedes >= 0.4 -> ${(rate / floor / 0.4).toFixed(2)}
         cold start and restart <= 30 s -> ratios ${(allVisibleMs / 30_000).toFixed(2)}, ${(restarted.ms / 30_000).toFixed(2)}
         RSS < 1 GiB at 20,000 agents / 200,000 routes -> ${rss10k.toFixed(2)} GiB ${N >= 20_000 ? 'measured' : 'extrapolated'} (ratio ${rss10k.toFixed(2)})
         API p99 < 100 ms during the storm -> ratio ${(quantile(restarted.api.reads, 0.99) / 100).toFixed(2)} (healthz ${(quantile(restarted.api.healthz, 0.99) / 100).toFixed(2)}); convergence p99 < 250 ms -> ratio ${(quantile(convergence, 0.99) / 250).toFixed(2)}`);
  for (const w of workers) w.send({ cmd: 'stop' } satisfies ToWorker);
  await stopAll();
}

/** Event-loop seconds by connect stage, from a control plane's /metrics (to subtract two readings). */
async function stageSeconds(cp: ControlPlane): Promise<Map<string, number>> {
  const text = await (await fetch(`${cp.apiBase}/metrics`)).text();
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^tether_sync_stage_seconds_total\{stage="(\w+)"\} ([\d.e+-]+)$/gm))
    out.set(m[1]!, Number(m[2]));
  return out;
}

/** Group commits so far (`tether_sync_stage_runs_total{stage="commit"}`). */
async function commitRuns(cp: ControlPlane): Promise<number> {
  const text = await (await fetch(`${cp.apiBase}/metrics`)).text();
  return Number(/^tether_sync_stage_runs_total\{stage="commit"\} (\d+)$/m.exec(text)?.[1] ?? 0);
}

/** A process's write(2)-family calls and bytes written to storage so far (/proc/PID/io). */
function writesOf(pid: number): { syscw: number; writeBytes: number } {
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(io)?.[1] ?? 0);
  return { syscw: field('syscw'), writeBytes: field('write_bytes') };
}

/** Event-loop ms per moved agent by stage between two readings. */
function stagesBetween(before: Map<string, number>, after: Map<string, number>, agents: number): string {
  const parts: string[] = [];
  for (const [stage, s] of after) {
    const per = ((s - (before.get(stage) ?? 0)) * 1000) / Math.max(1, agents);
    if (per >= 0.005) parts.push(`${stage} ${per.toFixed(2)}`);
  }
  return parts.join(', ');
}

/** Redis calls by command so far (`INFO commandstats`). */
async function redisCalls(port: number): Promise<Map<string, number>> {
  const { stdout } = await redisCli(port, ['INFO', 'commandstats']);
  return new Map([...stdout.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)].map((m) => [m[1]!, Number(m[2])]));
}

/** Redis calls per moved agent between two readings, the largest first. */
function callsBetween(before: Map<string, number>, after: Map<string, number>, agents: number): string {
  const per = [...after].map(([c, n]) => [c, (n - (before.get(c) ?? 0)) / Math.max(1, agents)] as const);
  const total = per.reduce((t, [, n]) => t + n, 0);
  const top = per.filter(([, n]) => n >= 0.05).sort((a, b) => b[1] - a[1]);
  return `${total.toFixed(1)} (${top.map(([c, n]) => `${c} ${n.toFixed(1)}`).join(', ')})`;
}

/** Two replicas of this build (or the one at `bin`) on one Redis; kill -9 of r2; its agents back on r1. */
async function cluster(bin?: string): Promise<void> {
  const build = bin ? `base build ${bin}` : 'this build';
  console.log(`\n== two replicas on Redis (${build}): ${N} agents, half on each; then kill -9 of replica 2`);
  const redis = await startRedis();
  try {
    const args = (id: string) => ['--log-level', 'warn', '--redis-url', redis.url, '--replica-id', id];
    // Replicas keep their default admission (rate 2,000/s, 64 connects in flight and a waiting room).
    const config = { limits: { connectRate: LIMITS.limits.connectRate } };
    // The survivor's CPU profile (--profile) covers its whole life; it ends with SIGTERM.
    const r1 = await startControlPlane({ bin, nodeArgs, args: args('r1'), config });
    const r2 = await startControlPlane({ bin, args: args('r2'), config });
    const agents = await createAgents(r1, 'simc');
    // Agents created on r1 reach r2 through the change log.
    await waitFor(
      async () => (await listAll(r2, '/api/v1/agents', 'agents')).length >= N,
      'every agent on r2',
      { timeoutMs: 120_000, intervalMs: 200 },
    );
    const workers = forkWorkers();
    const half = (i: number) => agents.filter((_, j) => j % WORKERS === i);
    const connected = await Promise.all(
      workers.map((w, i) =>
        call(
          w,
          {
            cmd: 'connect',
            url: (i % 2 === 0 ? r1 : r2).mqttUrl,
            agents: half(i),
            services: SERVICES,
            withRoutes: true,
          },
          'connected',
        ),
      ),
    );
    const connectMs = Math.max(...connected.map((c) => (c.evt === 'connected' ? c.ms : 0)));
    await sleep(2000);
    const rss = [rssOf(r1.proc.child.pid!), rssOf(r2.proc.child.pid!)];
    const stagesBefore = await stageSeconds(r1);
    const callsBefore = await redisCalls(redis.port);
    const commitsBefore = await commitRuns(r1);
    const ioBefore = writesOf(r1.proc.child.pid!);
    const cpu = cpuOf([r1.proc.child, { pid: redis.pid() }]);
    await r2.proc.stop('SIGKILL');
    const spreadMs = Number(opts['spread-ms']);
    const back = await Promise.all(
      workers.map((w) => call(w, { cmd: 'failover', url: r1.mqttUrl, spreadMs }, 'failedOver')),
    );
    const storm = back.filter((b) => b.evt === 'failedOver' && b.count > 0);
    const stormMs = Math.max(0, ...storm.map((b) => (b.evt === 'failedOver' ? b.ms : 0)));
    const moved = storm.reduce((n, b) => n + (b.evt === 'failedOver' ? b.count : 0), 0);
    const [survivorCpu, redisCpu] = cpu();
    const calls = callsBetween(callsBefore, await redisCalls(redis.port), moved);
    const commits = (await commitRuns(r1)) - commitsBefore;
    const io = writesOf(r1.proc.child.pid!);
    const perMoved = (n: number): string => (n / Math.max(1, moved)).toFixed(1);
    const stages = stagesBetween(stagesBefore, await stageSeconds(r1), moved);
    const metrics = await (await fetch(`${r1.apiBase}/metrics`)).text();
    const refused = /tether_socket_refusals_total\{reason="admission"\} (\d+)/.exec(metrics)?.[1] ?? '0';
    const busy = /^tether_connect_refusals_total\{reason="busy"\} (\d+)$/m.exec(metrics)?.[1] ?? '0';
    console.log(`agents connected/s (two replicas)       ${((N / connectMs) * 1000).toFixed(0)} (${ms(connectMs)} for ${N}; default admission rate)
replica RSS                              ${rss.map(mib).join(' / ')}
reconnect storm after kill -9 of r2      ${moved} agents back on r1 in ${ms(stormMs)} (spread over ${spreadMs} ms of jitter); target <= 30 s -> ratio ${(stormMs / 30_000).toFixed(2)}
sockets refused by r1's admission rate   ${refused}; CONNECTs refused as busy ${busy} (connect phase and storm; retried with backoff)
CPU during the storm, per moved agent    r1 ${((survivorCpu! * 1000) / Math.max(1, moved)).toFixed(2)} ms, redis-server ${((redisCpu! * 1000) / Math.max(1, moved)).toFixed(2)} ms
Redis commands per moved agent           ${calls}
r1 group commits during the storm        ${commits} (${(moved / Math.max(1, commits)).toFixed(2)} moved agents per commit); per moved agent ${perMoved(io.syscw - ioBefore.syscw)} write calls, ${perMoved((io.writeBytes - ioBefore.writeBytes) / 1024)} KiB to storage
r1 event-loop ms per moved agent         ${stages}`);
    for (const w of workers) w.send({ cmd: 'stop' } satisfies ToWorker);
    if (PROFILE) await r1.proc.stop('SIGTERM');
    await stopAll();
  } finally {
    await redis.kill();
  }
}

/**
 * Stops at once when a process here may not hold a socket per agent (each broker or control plane holds them all):
 * past the limit aedes' accept fails and the simulator retries for minutes before it gives up.
 */
function checkOpenFiles(): void {
  const soft = Number(
    /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? Infinity,
  );
  const needed = N + 1_000;
  if (soft >= needed) return;
  console.error(
    `bench:scale: ${N} agents need ${needed} open files per process and the limit is ${soft}: run \`ulimit -n ${Math.max(65_536, needed)}\` (as root, raise the hard limit first: \`ulimit -Hn ${Math.max(65_536, needed)}\`) and run again`,
  );
  process.exit(2);
}

async function main(): Promise<void> {
  checkOpenFiles();
  if (!opts['only-cluster']) {
    const floor = await raw();
    if (opts.base) await single(floor, opts.base);
    await single(floor);
  }
  if (!opts['skip-cluster']) {
    if (opts.base) await cluster(opts.base);
    await cluster();
  }
}

main().catch(async (err: unknown) => {
  console.error(err);
  await stopAll();
  process.exit(1);
});
