import { Counter, Histogram, type Registry } from 'prom-client';

/** The reports' way in: stored, duplicates, refusals, failed commits, expiry and lag. */
export interface ReportMetrics {
  /** Reports stored (each once). */
  readonly reportsStored: Counter;
  /** Reports received again and ignored (already stored). */
  readonly reportDuplicates: Counter;
  /** Report batches refused at ingress, by reason. */
  readonly invalidReportBatches: Counter<'reason'>;
  /** Report commits that failed (nothing acknowledged). */
  readonly reportCommitFailures: Counter;
  /** Reports deleted by retention. */
  readonly reportsExpired: Counter;
  /** Edge accept to hub commit of each stored report. */
  readonly reportLag: Histogram;
}

/** Registers the report metrics. */
export function reportMetrics(registers: Registry[]): ReportMetrics {
  return {
    reportsStored: new Counter({
      name: 'tether_reports_stored_total',
      help: 'Reports stored, each exactly once',
      registers,
    }),
    reportDuplicates: new Counter({
      name: 'tether_report_duplicates_total',
      help: 'Redelivered reports ignored because they were stored already',
      registers,
    }),
    invalidReportBatches: new Counter({
      name: 'tether_invalid_report_batches_total',
      help: 'Report batches refused at ingress, by reason',
      labelNames: ['reason'],
      registers,
    }),
    reportCommitFailures: new Counter({
      name: 'tether_report_commit_failures_total',
      help: 'Report commits that failed; nothing was acknowledged',
      registers,
    }),
    reportsExpired: new Counter({
      name: 'tether_reports_expired_total',
      help: 'Reports deleted by retention',
      registers,
    }),
    reportLag: new Histogram({
      name: 'tether_report_lag_seconds',
      help: 'Edge accept to hub commit of each stored report',
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300, 3600, 86_400],
      registers,
    }),
  };
}
