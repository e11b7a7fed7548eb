import { Counter, Gauge, Registry } from 'prom-client';
import type { RouteTable } from '@tether/shared';

/** The control plane's Prometheus metrics, on a per-instance registry. */
export class Metrics {
  /** The registry `/metrics` serves. */
  readonly registry = new Registry();
  /** Agents currently connected to the broker. */
  readonly connections: Gauge;
  /** Valid advert messages received, by type. */
  readonly messagesReceived: Counter<'type'>;
  /** Messages refused at ingress, by reason. */
  readonly invalidMessages: Counter<'reason'>;
  /** Advertised routes dropped by hub policy (origin not the sender). */
  readonly rejectedRoutes: Counter;
  /** Refused MQTT connections, by reason. */
  readonly authFailures: Counter<'reason'>;
  /** Resync requests sent to agents, by reason. */
  readonly resyncRequests: Counter<'reason'>;
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

  constructor(options: { routes: () => RouteTable; connections: () => number }) {
    const registers = [this.registry];
    this.connections = new Gauge({
      name: 'tether_connections',
      help: 'Agents currently connected',
      registers,
      collect() {
        this.set(options.connections());
      },
    });
    this.messagesReceived = new Counter({
      name: 'tether_messages_received_total',
      help: 'Valid agent messages received, by type',
      labelNames: ['type'],
      registers,
    });
    this.invalidMessages = new Counter({
      name: 'tether_invalid_messages_total',
      help: 'Agent messages refused at ingress, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.rejectedRoutes = new Counter({
      name: 'tether_rejected_routes_total',
      help: 'Advertised routes dropped by hub policy',
      registers,
    });
    this.authFailures = new Counter({
      name: 'tether_auth_failures_total',
      help: 'Refused MQTT connections, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.resyncRequests = new Counter({
      name: 'tether_resync_requests_total',
      help: 'Resync requests sent to agents, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.reportsStored = new Counter({
      name: 'tether_reports_stored_total',
      help: 'Reports stored, each exactly once',
      registers,
    });
    this.reportDuplicates = new Counter({
      name: 'tether_report_duplicates_total',
      help: 'Redelivered reports ignored because they were stored already',
      registers,
    });
    this.invalidReportBatches = new Counter({
      name: 'tether_invalid_report_batches_total',
      help: 'Report batches refused at ingress, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.reportCommitFailures = new Counter({
      name: 'tether_report_commit_failures_total',
      help: 'Report commits that failed; nothing was acknowledged',
      registers,
    });
    this.reportsExpired = new Counter({
      name: 'tether_reports_expired_total',
      help: 'Reports deleted by retention',
      registers,
    });
    new Gauge({
      name: 'tether_routes',
      help: 'Routes in the table, by state',
      labelNames: ['state'],
      registers,
      collect() {
        const table = options.routes();
        this.set({ state: 'active' }, table.count({ state: 'active' }));
        this.set({ state: 'stale' }, table.count({ state: 'stale' }));
      },
    });
  }
}
