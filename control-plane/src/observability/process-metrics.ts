import { readdir } from 'node:fs/promises';
import { collectDefaultMetrics, Gauge, type Registry } from 'prom-client';

/**
 * prom-client defaults whose every scrape costs in proportion to the open sockets, on the event loop: a list of
 * every libuv handle or resource (`nodejs_active_handles*`, `nodejs_active_resources*`), and a synchronous
 * `readdir` of /proc/self/fd (`process_open_fds`). At 19,000 agents one scrape held the loop for ~90 ms in the
 * middle of a reconnect storm. The handles and resources are left out (the agents' own gauges count the
 * connections); the open files are counted off the event loop.
 */
const PER_SOCKET_METRICS = [
  'nodejs_active_handles',
  'nodejs_active_handles_total',
  'nodejs_active_resources',
  'nodejs_active_resources_total',
  'process_open_fds',
];

/**
 * The process's own metrics on `registry`, as prom-client names them for every Node service: CPU and resident
 * memory (`process_*`), heap and GC pauses (`nodejs_heap_*`, `nodejs_gc_duration_seconds`) and the event loop's
 * delay (`nodejs_eventloop_lag_p99_seconds` and the others, sampled every 10 ms, since the last scrape): what an
 * operator watches when the API is slow during a reconnect storm. None costs per open socket (PER_SOCKET_METRICS).
 */
export function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  for (const name of PER_SOCKET_METRICS) registry.removeSingleMetric(name);
  if (process.platform !== 'linux') return;
  new Gauge({
    name: 'process_open_fds',
    help: 'Number of open file descriptors.',
    registers: [registry],
    // The directory is read on libuv's thread pool, not on the event loop (minus the one the read itself opens).
    async collect() {
      const fds = await readdir('/proc/self/fd').catch(() => undefined);
      if (fds) this.set(fds.length - 1);
    },
  });
}
