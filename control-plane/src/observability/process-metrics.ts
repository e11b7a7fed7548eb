import { collectDefaultMetrics, type Registry } from 'prom-client';

/**
 * The process's own metrics on `registry`, as prom-client names them for every Node service: CPU and resident
 * memory (`process_*`), heap and GC pauses (`nodejs_heap_*`, `nodejs_gc_duration_seconds`) and the event loop's
 * delay (`nodejs_eventloop_lag_p99_seconds` and the others, sampled every 10 ms, since the last scrape): what an
 * operator watches when the API is slow during a reconnect storm.
 */
export function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
}
