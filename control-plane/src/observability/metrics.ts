import { Registry } from 'prom-client';
import { accessMetrics, type AccessMetrics } from './access-metrics.js';
import { agentMessageMetrics, type AgentMessageMetrics } from './agent-message-metrics.js';
import { callMetrics, type CallMetrics } from './call-metrics.js';
import { collectProcessMetrics } from './process-metrics.js';
import { reportMetrics, type ReportMetrics } from './report-metrics.js';
import { registerScrapeGauges, type MetricsSources } from './scrape-gauges.js';
import { StreamMetrics } from './stream-metrics.js';
import { SyncStages } from './sync-stages.js';

/**
 * The control plane's metrics by group, each described in its group's interface: the constructor assigns every
 * group's whole record, whose factory's return type TypeScript checks against that interface.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface Metrics extends AgentMessageMetrics, AccessMetrics, ReportMetrics, CallMetrics {}

/** The control plane's Prometheus metrics, on a per-instance registry. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class Metrics {
  /** The registry `/metrics` serves. */
  readonly registry = new Registry();
  /** Byte streams through the tunnels: open now, bytes each way, opens refused. */
  readonly streams: StreamMetrics;
  /** Event-loop time per stage of the connect path (sync-stages.ts). */
  readonly stages: SyncStages;

  /** Where the gauges read at scrape time; parts started after the metrics add theirs with `readFrom`. */
  readonly #sources: Partial<MetricsSources> = {};

  constructor(sources: Partial<MetricsSources> = {}) {
    const options = this.#sources;
    Object.assign(options, sources);
    const registers = [this.registry];
    this.streams = new StreamMetrics(registers, () => options.tunnels?.().streams ?? 0);
    this.stages = new SyncStages(this.registry);
    collectProcessMetrics(this.registry);
    registerScrapeGauges(registers, options);
    Object.assign(
      this,
      agentMessageMetrics(registers),
      accessMetrics(registers),
      reportMetrics(registers),
      callMetrics(registers),
    );
  }

  /** Gauges of a part started after the metrics read it from now on (each part hands its own source once). */
  readFrom(sources: Partial<MetricsSources>): void {
    Object.assign(this.#sources, sources);
  }
}
