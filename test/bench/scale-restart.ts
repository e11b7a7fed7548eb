/** bench:scale's restart storm: kill -9 of the control plane, restarted on its data directory, every agent back. */
import type { ChildProcess } from 'node:child_process';
import { callWorker } from '../helpers/sim-workers.js';
import { startControlPlane, type ControlPlane } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';
import { probeApi, type ApiLatencies } from './scale-api-probe.js';
import {
  activeRoutes,
  admissionRefusals,
  busyRefusals,
  commitRuns,
  cpuSeconds,
  listenOverflows,
  traceStorm,
} from './scale-readings.js';
import type { ScaleRun } from './scale-run.js';

const now = (): number => performance.timeOrigin + performance.now();

/**
 * kill -9 of the control plane, restarted on the same data directory; every agent dials the new one after a jitter
 * of `spread-ms`. Returns the time until every route is active again and the API p99 during that storm.
 */
export async function restart(
  run: ScaleRun,
  cp: ControlPlane,
  workers: ChildProcess[],
  bin: string | undefined,
): Promise<{
  ms: number;
  api: ApiLatencies;
  refused: number;
  admissionRefused: number;
  overflows: number;
  cpu: number;
  commits: number;
}> {
  await cp.proc.stop(run.profiled ? 'SIGTERM' : 'SIGKILL');
  const started = now();
  const overflows = listenOverflows();
  const next = await startControlPlane({
    bin,
    nodeArgs: run.nodeArgs,
    dataDir: cp.dataDir,
    args: ['--log-level', 'warn'],
    config: run.stormLimits,
  });
  const probe = probeApi(next);
  const trace = run.trace ? setInterval(() => void traceStorm(next, started), 5000) : undefined;
  const { spreadMs } = run;
  await Promise.all(
    workers.map((w) => callWorker(w, { cmd: 'failover', url: next.mqttUrl, spreadMs }, 'failedOver')),
  );
  await waitFor(
    async () => (await activeRoutes(next)) >= run.agents * run.services,
    'every route active again',
    {
      timeoutMs: 600_000,
      intervalMs: 200,
    },
  );
  const recoveredMs = now() - started;
  // From its spawn (its start included) to every route active again.
  const cpu = cpuSeconds(next.proc.child.pid!);
  const commits = await commitRuns(next);
  clearInterval(trace);
  const api = await probe.stop();
  const refused = await busyRefusals(next);
  const admissionRefused = await admissionRefusals(next);
  if (run.profiled) await next.proc.stop('SIGTERM');
  return {
    ms: recoveredMs,
    api,
    refused,
    admissionRefused,
    overflows: listenOverflows() - overflows,
    cpu,
    commits,
  };
}
