/** bench:scale's probe of the API an operator watches during a storm: latencies while it runs. */
import type { ControlPlane } from '../helpers/tether.js';
import { sleep } from '../helpers/wait.js';
import { ms, quantile } from './stats.js';

const now = (): number => performance.timeOrigin + performance.now();

/** The latencies (ms) of the API the operator watches, collected until stopped. */
export interface ApiLatencies {
  /** `/healthz`, every 100 ms: how responsive the event loop is. */
  healthz: number[];
  /** `/api/v1/agents`, `/api/v1/topology` and `/healthz` together, once a second (a dashboard refreshing). */
  reads: number[];
  /** Each request of `reads` alone, by path. */
  byPath: Map<string, number[]>;
}

/** Polls the API (ApiLatencies) until stopped; each loop bounded in count. */
export function probeApi(cp: ControlPlane): { stop(): Promise<ApiLatencies> } {
  const out: ApiLatencies = { healthz: [], reads: [], byPath: new Map() };
  let running = true;
  const one = async (path: string, started: number): Promise<void> => {
    await cp.api(path).catch(() => undefined);
    const times = out.byPath.get(path) ?? [];
    out.byPath.set(path, [...times, now() - started]);
  };
  const timed = async (paths: string[], into: number[], everyMs: number): Promise<void> => {
    for (let i = 0; running && i < 100_000; i++) {
      const started = now();
      await Promise.all(paths.map((p) => one(p, started)));
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
export const p99s = (l: ApiLatencies): string =>
  `healthz ${ms(quantile(l.healthz, 0.99))}, agents+topology+healthz ${ms(quantile(l.reads, 0.99))} (${[
    ...l.byPath,
  ]
    .map(([path, times]) => `${path} ${ms(quantile(times, 0.99))}`)
    .join(', ')}; ${l.healthz.length} and ${l.reads.length} samples)`;
