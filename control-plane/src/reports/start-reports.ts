import type BetterSqlite3 from 'better-sqlite3';
import type { Clock, Transport } from '@tether/shared';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { ReportFeed } from './report-feed.js';
import { ReportIngress } from './report-ingress.js';
import { ReportRetention, type RetentionPolicy } from './report-retention.js';
import { ReportStore } from './report-store.js';
import { ReportTicks } from './report-ticks.js';

/** What the reporting side of the hub needs. */
export interface ReportsDeps {
  db: BetterSqlite3.Database;
  transport: Transport;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
  /** Report retention (default: keep everything). */
  retention?: RetentionPolicy | undefined;
  /** How often retention runs, in ms (default 60 s). */
  retentionIntervalMs?: number | undefined;
  /** The highest report protocol version to speak (config `reports.protocol`; default the newest). */
  protocol?: number | undefined;
}

/** The running reporting side: storage, the live feed, per-tick figures, ingress and retention. */
export interface Reports {
  store: ReportStore;
  feed: ReportFeed;
  ticks: ReportTicks;
  ingress: ReportIngress;
  retention: ReportRetention;
}

/** The reports' store, ingress (its topic is routed by the agent-topic router), live feed and retention. */
export async function startReports(deps: ReportsDeps): Promise<Reports> {
  const { db, transport, metrics, logger, clock } = deps;
  const store = new ReportStore(db);
  const feed = new ReportFeed();
  const ticks = new ReportTicks(metrics);
  feed.subscribe((report) => ticks.observe(report));
  const ingress = new ReportIngress({
    store,
    transport,
    feed,
    metrics,
    logger,
    clock,
    protocol: deps.protocol,
  });
  const retention = new ReportRetention({
    db,
    metrics,
    logger,
    clock,
    policy: deps.retention ?? { streams: {} },
    intervalMs: deps.retentionIntervalMs ?? 60_000,
  });
  return { store, feed, ticks, ingress, retention };
}
