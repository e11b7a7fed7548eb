import type { StreamTick } from '../api/api-schemas.js';

// What the stats ticker drains from the call and report counters: shapes owned by the ticker, filled by them.

/** Per service, what finished since the last drain. */
export interface ServiceCallTotals {
  calls: number;
  errors: number;
  /** Sum of the finished calls' durations, ms. */
  durationMs: number;
}

/** What `drain` hands the stats ticker. */
export interface CallTotals {
  byService: Map<string, ServiceCallTotals>;
  /** Calls in flight now, by service (services with none are absent). */
  inFlight: Map<string, number>;
  /** Since the start. */
  total: number;
  errors: number;
}

/** What `drain` hands the stats ticker: reports committed since the previous drain. */
export interface ReportTotals {
  count: number;
  /** The largest edge-to-hub lag among them, ms (null when none). */
  maxLagMs: number | null;
  /** Per (agent, stream), at most `maxStreams` of them (the busiest). */
  streams: StreamTick[];
}
