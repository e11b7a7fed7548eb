/**
 * `pnpm bench:scale [--agents 2000] [--services 10] [--workers 2] [--idle-seconds 10] [--churn-seconds 30]
 * [--spread-ms 5000] [--window 100] [--in-flight 64] [--sim-nice 0] [--storm-limits off|default] [--skip-cluster]
 * [--only-cluster] [--profile DIR] [--trace] [--base BIN]`
 *
 * Simulated agents (raw MQTT connections in worker processes, sim-agents.ts), each advertising `services` routes,
 * first against a bare aedes broker (raw-aedes.ts: the floor), then against one control plane and then against two
 * replicas on Redis (docs/cluster.md). Prints agents connected per second and the ratio to the floor, time to
 * connect them all, where the control plane's event loop went per connect stage, control-plane RSS and CPU per
 * 1,000 idle agents, route convergence p99 while 1% of the agents flap per minute, the time until every route is
 * active again after kill -9 + restart with the same data directory (API p99 during that storm), and the time
 * until every agent of a killed replica is back on the survivor. `--agents 20000` is the full run.
 * `--base` runs the single control plane of another build first (its `tether-cp.js`, e.g. a copy of main's
 * control-plane/bin + dist), then this one, with the same simulator and floor: before and after side by side; the
 * two-replica phase likewise. `--profile DIR` also profiles the surviving replica.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { callWorker } from '../helpers/sim-workers.js';
import { stopAll } from '../helpers/processes.js';
import { startControlPlane, type ControlPlane } from '../helpers/tether.js';
import { sleep, waitFor } from '../helpers/wait.js';
import type { ToWorker } from './sim-agents.js';
import { mib, ms, quantile, rssOf } from './stats.js';
import { probeApi, p99s } from './scale-api-probe.js';
import { cluster } from './scale-cluster.js';
import { restart } from './scale-restart.js';
import type { ScaleRun } from './scale-run.js';
import {
  busyRefusals,
  commitRuns,
  cpuOf,
  cpuSeconds,
  listenOverflows,
  stageSeconds,
  stagesBetween,
} from './scale-readings.js';

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
    /** The simulator processes' nice value (0: they compete with the control plane as equals). */
    'sim-nice': { type: 'string', default: '0' },
    /**
     * The restarted control plane's admission: `default` (its own admission rate, connects in flight and waiting
     * room, as an operator runs it; only the per-source rate is off: every simulated agent dials from 127.0.0.1)
     * or `off` (raw capacity, as the cold start).
     */
    'storm-limits': { type: 'string', default: 'off' },
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
const SIM_NICE = Number(opts['sim-nice']);
const now = (): number => performance.timeOrigin + performance.now();
const PROFILE = opts.profile;
const nodeArgs = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : [];
// One control plane, raw capacity: neither connection rate limits the simulator.
const inFlight = opts['in-flight'] ? { connectsInFlight: { max: Number(opts['in-flight']) } } : {};
const LIMITS = {
  limits: {
    connectRate: { perSecond: 100_000, burst: 100_000 },
    admissionRate: { perSecond: 100_000, burst: 100_000 },
    ...inFlight,
  },
};

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
/**
 * The simulator processes, at nice `--sim-nice`: the agents of a real fleet run on their own machines, and here
 * they would otherwise take the CPU from the process measured whenever both want it (the floor is measured the same).
 */
const forkWorkers = (): ChildProcess[] =>
  Array.from({ length: WORKERS }, () => {
    const worker = fork(join(here, 'sim-agents.ts'), [], { execArgv: ['--import', 'tsx'] });
    if (worker.pid !== undefined) setPriority(worker.pid, SIM_NICE);
    return worker;
  });

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

/** One control plane (this build, or the one at `bin`): the figures above, printed. */
async function single(run: ScaleRun, floor: number, bin?: string): Promise<void> {
  const build = bin ? `base build ${bin}` : 'this build';
  console.log(
    `\n== one control plane (${build}): ${N} agents x ${SERVICES} routes, ${WORKERS} simulator processes at nice ${SIM_NICE}`,
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
  const restarted = await restart(run, cp, workers, bin);
  const rate = (N / connectMs) * 1000;
  const rss10k = (rssBefore + ((rssIdle - rssBefore) * 20_000) / N) / 1024 ** 3;
  console.log(`agents connected/s                     ${rate.toFixed(0)}; ratio to raw aedes ${(rate / floor).toFixed(2)}
time to connect ${N} (answered)           ${ms(connectMs)}; all ${N * SERVICES} routes in the API after ${ms(allVisibleMs)}; ${coldRefused} CONNECTs refused as busy; ${coldOverflows} listen-queue drops
CPU ms per agent while connecting        control plane ${perAgent(cpCpu!)}, simulator ${perAgent(sum(workerCpu))}; ${(N / Math.max(1, coldCommits)).toFixed(2)} agents per group commit
event-loop ms per agent, by stage        ${stages}
control-plane RSS                        ${mib(rssBefore)} -> ${mib(rssIdle)} idle (${mib(((rssIdle - rssBefore) / N) * 1000)} per 1,000 agents); ${mib(rss)} after churn
control-plane CPU idle                   ${(idleCpu * 100).toFixed(1)}% of a core (${((idleCpu * 100 * 1000) / N).toFixed(2)}% per 1,000 agents)
convergence under churn (1%/min flaps)   p50 ${ms(quantile(convergence, 0.5))}  p99 ${ms(quantile(convergence, 0.99))}  (${convergence.length} flaps)
kill -9 + restart, same data dir         every route active again after ${ms(restarted.ms)} (jitter ${opts['spread-ms']} ms; limits ${opts['storm-limits']}: ${restarted.admissionRefused} sockets refused by the admission rate, ${restarted.refused} CONNECTs refused as busy; ${restarted.overflows} listen-queue drops)
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
  const run: ScaleRun = {
    agents: N,
    services: SERVICES,
    workers: WORKERS,
    spreadMs: Number(opts['spread-ms']),
    profiled: PROFILE !== undefined,
    nodeArgs,
    limits: LIMITS,
    stormLimits:
      opts['storm-limits'] === 'default'
        ? { limits: { connectRate: LIMITS.limits.connectRate, ...inFlight } }
        : LIMITS,
    trace: opts.trace,
    createAgents,
    forkWorkers,
  };
  checkOpenFiles();
  if (!opts['only-cluster']) {
    const floor = await raw();
    if (opts.base) await single(run, floor, opts.base);
    await single(run, floor);
  }
  if (!opts['skip-cluster']) {
    if (opts.base) await cluster(run, opts.base);
    await cluster(run);
  }
}

main().catch(async (err: unknown) => {
  console.error(err);
  await stopAll();
  process.exit(1);
});
