/** bench:scale's two-replica phase: agents on two replicas sharing Redis, kill -9 of one, its agents back on the other. */
import { callWorker } from '../helpers/sim-workers.js';
import { listAll } from '../helpers/pages.js';
import { stopAll } from '../helpers/processes.js';
import { startRedis } from '../helpers/redis.js';
import { startControlPlane } from '../helpers/tether.js';
import { sleep, waitFor } from '../helpers/wait.js';
import type { ToWorker } from './sim-agents.js';
import { mib, ms, rssOf } from './stats.js';
import type { ScaleRun } from './scale-run.js';
import {
  callsBetween,
  commitRuns,
  cpuOf,
  redisCalls,
  stageSeconds,
  stagesBetween,
  writesOf,
} from './scale-readings.js';

/** Two replicas of this build (or the one at `bin`) on one Redis; kill -9 of r2; its agents back on r1. */
export async function cluster(run: ScaleRun, bin?: string): Promise<void> {
  const { agents: N, services: SERVICES, workers: WORKERS, nodeArgs, spreadMs } = run;
  const build = bin ? `base build ${bin}` : 'this build';
  console.log(`\n== two replicas on Redis (${build}): ${N} agents, half on each; then kill -9 of replica 2`);
  const redis = await startRedis();
  try {
    const args = (id: string) => ['--log-level', 'warn', '--redis-url', redis.url, '--replica-id', id];
    // Replicas keep their default admission (rate 2,000/s, 64 connects in flight and a waiting room).
    const config = { limits: { connectRate: run.limits.limits.connectRate } };
    // The survivor's CPU profile (--profile) covers its whole life; it ends with SIGTERM.
    const r1 = await startControlPlane({ bin, nodeArgs, args: args('r1'), config });
    const r2 = await startControlPlane({ bin, args: args('r2'), config });
    const agents = await run.createAgents(r1, 'simc');
    // Agents created on r1 reach r2 through the change log.
    await waitFor(
      async () => (await listAll(r2, '/api/v1/agents', 'agents')).length >= N,
      'every agent on r2',
      { timeoutMs: 120_000, intervalMs: 200 },
    );
    const workers = run.forkWorkers();
    const half = (i: number) => agents.filter((_, j) => j % WORKERS === i);
    const connected = await Promise.all(
      workers.map((w, i) =>
        callWorker(
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
    const back = await Promise.all(
      workers.map((w) => callWorker(w, { cmd: 'failover', url: r1.mqttUrl, spreadMs }, 'failedOver')),
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
    if (run.profiled) await r1.proc.stop('SIGTERM');
    await stopAll();
  } finally {
    await redis.kill();
  }
}
