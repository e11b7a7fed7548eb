/**
 * The TCP modes of bench:tunnel: `redis-benchmark -t set,get -c 50 -n 100000` against one redis-server (a) direct,
 * (b) through a Tether control-plane listener to the edge agent that offers it (client -> listener -> tunnel over
 * MQTT -> agent -> redis), (c) through an OpenSSH local forward (`ssh -L`, a throwaway sshd and key on free ports).
 * With `TUNNEL_BENCH_BASE=DIR` (the root of another checkout, built), (o) is (b) run by that build's control plane
 * and agent: before/after in the same run. (n) is two bare node:net proxies in their own processes, one upstream
 * connection per client: what two node hops cost with nothing of Tether's (no multiplexing, no broker). Rounds interleaved (a b o c a b o c ...), medians printed, with Tether's
 * ratio to OpenSSH and to the old build, its added p50, and the CPU each process in the path spent per request.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { spawnNode } from '../helpers/processes.js';
import { startRedis } from '../helpers/redis.js';
import { startControlPlane, startEdge, type ControlPlane } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';
import { sshForward } from './ssh-forward.js';
import { treeCpuSeconds } from './stats.js';

const ROUNDS = Number(process.env.TCP_BENCH_ROUNDS ?? 3);
const REQUESTS = Number(process.env.TCP_BENCH_REQUESTS ?? 100_000);
const BASE = process.env.TUNNEL_BENCH_BASE;
const PEER = new URL('./tunnel-peer.ts', import.meta.url).pathname;

/** One redis-benchmark test's figures. */
interface Figures {
  rps: number;
  p50: number;
}

/** One round of a mode: SET and GET figures, and CPU microseconds per request of each process in its path. */
interface Run {
  SET: Figures;
  GET: Figures;
  cpu: Record<string, number>;
}

/** Runs redis-benchmark against `port` and reads its CSV: SET and GET requests/s and p50 (ms). */
function redisBenchmark(port: number, pids: Record<string, number>): Run {
  const before = Object.entries(pids).map(([name, pid]) => [name, treeCpuSeconds(pid)] as const);
  const run = spawnSync(
    'redis-benchmark',
    ['-h', '127.0.0.1', '-p', String(port), '-t', 'set,get', '-c', '50', '-n', String(REQUESTS), '--csv'],
    { encoding: 'utf8', timeout: 120_000 },
  );
  if (run.status !== 0) throw new Error(`redis-benchmark on ${port} failed: ${run.stderr}`);
  const cpu = Object.fromEntries(
    before.map(([name, s]) => [name, ((treeCpuSeconds(pids[name]!) - s) / (2 * REQUESTS)) * 1e6]),
  );
  const out: Partial<Record<string, Figures>> = {};
  for (const line of run.stdout.trim().split('\n').slice(1)) {
    const [test, rps, , , p50] = line.split(',').map((c) => c.replace(/"/g, ''));
    out[test!] = { rps: Number(rps), p50: Number(p50) };
  }
  if (!out.SET || !out.GET) throw new Error(`unexpected redis-benchmark output: ${run.stdout}`);
  return { SET: out.SET, GET: out.GET, cpu };
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/** A control plane listener forwarding to `redisPort` through an edge agent; its port and the two processes. */
async function tetherPath(
  cp: ControlPlane,
  redisPort: number,
  agentBin?: string,
): Promise<{ port: number; pids: Record<string, number> }> {
  const secret = await cp.addAgent('bench-tcp-edge');
  const edge = await startEdge({
    id: 'bench-tcp-edge',
    secret,
    url: cp.mqttUrl,
    services: { redis: `tcp://127.0.0.1:${redisPort}` },
    args: ['--log-level', 'warn'],
    ...(agentBin ? { bin: agentBin } : {}),
  });
  await waitFor(async () => {
    const r = await cp.api<{ routes: { state: string }[] }>('/api/v1/routes?service=redis');
    return r.body.routes.some((x) => x.state === 'active');
  }, 'the redis route');
  const listener = await cp.api<{ port: number }>('/api/v1/listeners', {
    method: 'POST',
    body: JSON.stringify({ service: 'redis', port: 0 }),
  });
  return {
    port: listener.body.port,
    pids: { 'control plane': cp.proc.child.pid ?? 0, agent: edge.proc.child.pid ?? 0 },
  };
}

/** Runs the TCP modes with `cp` (a running control plane) and prints their medians and ratios. */
export async function benchTcp(cp: ControlPlane): Promise<void> {
  const redis = await startRedis();
  const redisPid = { redis: redis.pid() ?? 0 };
  const tether = await tetherPath(cp, redis.port);
  const base = BASE
    ? await tetherPath(
        await startControlPlane({
          args: ['--log-level', 'warn'],
          bin: join(BASE, 'control-plane', 'bin', 'tether-cp.js'),
        }),
        redis.port,
        join(BASE, 'agent', 'bin', 'tether-agent.js'),
      )
    : undefined;
  const inner = await spawnNode(['--import', 'tsx', PEER, 'tcp-proxy', String(redis.port)]);
  const outer = await spawnNode(['--import', 'tsx', PEER, 'tcp-proxy', String(inner.ready.port)]);
  const ssh = await sshForward(redis.port);
  const modes: Array<[string, number | undefined, Record<string, number>]> = [
    ['a direct', redis.port, redisPid],
    ['b Tether', tether.port, { ...tether.pids, ...redisPid }],
    ['o Tether old', base?.port, { ...base?.pids, ...redisPid }],
    ['c ssh -L', ssh?.port, { ...ssh?.pids, ...redisPid }],
    [
      'n node x2',
      outer.ready.port,
      { 'proxy 1': outer.child.pid ?? 0, 'proxy 2': inner.child.pid ?? 0, ...redisPid },
    ],
  ];
  console.log(
    `\nTCP: redis-benchmark -t set,get -c 50 -n ${REQUESTS}, medians of ${ROUNDS} interleaved rounds` +
      (BASE ? ` (o: the build in ${BASE})` : ''),
  );
  const runs: Record<string, Run[]> = {};
  for (let round = 0; round < ROUNDS; round++)
    for (const [name, port, pids] of modes)
      if (port !== undefined) (runs[name] ??= []).push(redisBenchmark(port, pids));
  const med = (name: string, test: 'SET' | 'GET'): Figures | undefined => {
    const list = runs[name];
    if (!list) return undefined;
    return { rps: median(list.map((r) => r[test].rps)), p50: median(list.map((r) => r[test].p50)) };
  };
  for (const test of ['SET', 'GET'] as const) {
    console.log(`  ${test}`);
    for (const [name] of modes) {
      const f = med(name, test);
      if (f)
        console.log(
          `    ${name.padEnd(13)} ${f.rps.toFixed(0).padStart(8)} req/s  p50 ${f.p50.toFixed(3)} ms`,
        );
    }
    const [a, b, o, c, n] = modes.map(([m]) => med(m, test));
    if (a && b)
      console.log(
        `    Tether added p50: ${(b.p50 - a.p50).toFixed(3)} ms; req/s vs direct ${(b.rps / a.rps).toFixed(2)}x`,
      );
    if (b && o) console.log(`    (b) req/s / (o) req/s = ${(b.rps / o.rps).toFixed(2)}x (new / old build)`);
    if (b && c)
      console.log(
        `    (b) req/s / (c) req/s = ${(b.rps / c.rps).toFixed(2)}x (target >= 1.00x: ${b.rps >= c.rps ? 'MET' : 'MISSED'}); p50 ${(b.p50 / c.p50).toFixed(2)}x`,
      );
    if (b && n)
      console.log(`    (b) req/s / (n) req/s = ${(b.rps / n.rps).toFixed(2)}x (Tether / two bare node hops)`);
  }
  console.log('  CPU us per request (SET and GET together), per process (with its children), median');
  for (const [name] of modes) {
    const list = runs[name];
    if (!list?.[0]) continue;
    const cells = Object.keys(list[0].cpu).map(
      (proc) => `${proc} ${median(list.map((r) => r.cpu[proc] ?? NaN)).toFixed(1)}`,
    );
    console.log(`    ${name.padEnd(13)} ${cells.join(', ')}`);
  }
  ssh?.close();
  await redis.kill();
}
