import type { StreamTick } from '../api/api-schemas.js';
import type { Metrics } from '../observability/metrics.js';
import type { ReportTotals } from '../observability/stats-sources.js';

export type { ReportTotals };
import type { StoredReport } from './report-store.js';

/**
 * Watches committed reports: observes each one's lag in `tether_report_lag_seconds` and gathers per-stream
 * totals between drains, so the dashboard's stream table moves with the `stats` event instead of polling.
 */
export class ReportTicks {
  readonly #metrics: Metrics;
  readonly #maxStreams: number;
  #streams = new Map<string, StreamTick>();
  #count = 0;
  #maxLag: number | null = null;

  constructor(metrics: Metrics, maxStreams = 200) {
    this.#metrics = metrics;
    this.#maxStreams = maxStreams;
  }

  /** Records one report right after its commit (a ReportFeed listener). */
  observe(r: StoredReport): void {
    const lag = Math.max(0, r.receivedAt - r.at);
    this.#metrics.reportLag.observe(lag / 1000);
    this.#count++;
    this.#maxLag = Math.max(this.#maxLag ?? 0, lag);
    const key = `${r.agent}\n${r.stream}`;
    let tick = this.#streams.get(key);
    if (!tick) {
      tick = {
        agent: r.agent,
        stream: r.stream,
        count: 0,
        bytes: 0,
        lastSeq: 0,
        lastAt: 0,
        lastReceivedAt: 0,
        lagMs: 0,
      };
      this.#streams.set(key, tick);
    }
    tick.count++;
    tick.bytes += r.body.byteLength;
    if (r.seq > tick.lastSeq) {
      tick.lastSeq = r.seq;
      tick.lastAt = r.at;
      tick.lastReceivedAt = r.receivedAt;
      tick.lagMs = lag;
    }
  }

  /** The totals since the previous drain (then reset). */
  drain(): ReportTotals {
    const streams = [...this.#streams.values()].sort((a, b) => b.count - a.count).slice(0, this.#maxStreams);
    const totals = { count: this.#count, maxLagMs: this.#maxLag, streams };
    this.#streams = new Map();
    this.#count = 0;
    this.#maxLag = null;
    return totals;
  }
}
