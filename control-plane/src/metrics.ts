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

  /** API requests refused (401/403), by reason. */
  readonly apiAuthFailures: Counter<'reason'>;
  /** Sockets closed by a socket guard before or instead of aedes, by reason. */
  readonly socketRefusals: Counter<'reason'>;
  /** Publishes refused (the agent is disconnected), by reason (`acl`, `rate`). */
  readonly publishDenials: Counter<'reason'>;
  /** Subscriptions refused by the ACL. */
  readonly subscribeDenials: Counter;
  /** Publishes held back by a rate limit (not refused). */
  readonly publishesThrottled: Counter;
  /** Quarantines started after repeated denials. */
  readonly quarantines: Counter;
  /** Agents revoked and disconnected. */
  readonly revocations: Counter;

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
    this.apiAuthFailures = new Counter({
      name: 'tether_api_auth_failures_total',
      help: 'API requests refused with 401 or 403, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.socketRefusals = new Counter({
      name: 'tether_socket_refusals_total',
      help: 'MQTT sockets closed by a guard: rate_limited, packet_too_large, pre_connect_bytes, malformed_length',
      labelNames: ['reason'],
      registers,
    });
    this.publishDenials = new Counter({
      name: 'tether_publish_denials_total',
      help: 'Publishes refused (agent disconnected, once per connection), by reason: acl, rate',
      labelNames: ['reason'],
      registers,
    });
    this.subscribeDenials = new Counter({
      name: 'tether_subscribe_denials_total',
      help: 'Subscriptions refused by the ACL (SUBACK failure)',
      registers,
    });
    this.publishesThrottled = new Counter({
      name: 'tether_publishes_throttled_total',
      help: 'Publishes delayed by a per-agent rate limit',
      registers,
    });
    this.quarantines = new Counter({
      name: 'tether_quarantines_total',
      help: 'Quarantines started after repeated denials (CONNECT refused for a while)',
      registers,
    });
    this.revocations = new Counter({
      name: 'tether_revocations_total',
      help: 'Agents revoked and disconnected',
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
