import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { collectProcessMetrics } from './process-metrics.js';
import type { RouteTable } from '@tether/shared';
import { RunningCounter } from './running-counter.js';
import { StreamMetrics } from './stream-metrics.js';
import { SyncStages } from './sync-stages.js';

/** Calls in flight through the tunnels and queued for window credit, and streams open, summed over every agent. */
export interface TunnelFigures {
  outgoing: number;
  incoming: number;
  queued: number;
  streams: number;
}

/** What the gauges read when scraped. */
export interface MetricsSources {
  routes: () => RouteTable;
  /** Agents connected now. */
  connections: () => number;
  /** The tunnels' figures (zero before calls start). */
  tunnels?: () => TunnelFigures;
  /** Service name conflicts now (zero before services start). */
  conflicts?: () => number;
}

/** Latency buckets of calls and HTTP requests, in seconds (1 ms to 30 s). */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

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
  /** Edge accept to hub commit of each stored report. */
  readonly reportLag: Histogram;
  /** MQTT publishes through the broker on Tether's topics, by direction and topic kind. */
  readonly mqttMessages: RunningCounter<'direction' | 'kind'>;
  /** Payload bytes of those publishes, by direction. */
  readonly mqttBytes: RunningCounter<'direction'>;
  /** Finished calls through the network, by service, caller kind and HTTP status. */
  readonly calls: Counter<'service' | 'caller' | 'status'>;
  /** Call durations (to the end of the response body), by service and HTTP status. */
  readonly callDuration: Histogram<'service' | 'status'>;
  /** Calls in flight, by service. */
  readonly callsInFlight: Gauge<'service'>;
  /** HTTP API requests, by method, route pattern and status. */
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  /** HTTP API request durations, by method and route pattern. */
  readonly httpDuration: Histogram<'method' | 'route'>;

  /** API requests refused (401/403), by reason. */
  readonly apiAuthFailures: Counter<'reason'>;
  /** Sockets closed by a socket guard before or instead of aedes, by reason. */
  readonly socketRefusals: Counter<'reason'>;
  /** TLS handshakes started on the mqtts listener, by how they ended (`secure`, `failed`, `timeout`). */
  readonly tlsHandshakes: Counter<'outcome'>;
  /** CONNECTs refused with CONNACK 3 (server unavailable) by admission, by reason (`busy`). */
  readonly connectRefusals: Counter<'reason'>;
  /** Connects accepted and not yet answered (bounded by `limits.connectsInFlight.max`). */
  readonly connectsInFlight: Gauge;
  /** Authenticated CONNECTs waiting for a place among the connects in flight. */
  readonly connectsWaiting: Gauge;
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
  /** Service name conflicts recorded (each once: an edge advertising a centrally defined service). */
  readonly serviceConflicts: Counter;
  /** Advertised routes stored none of because of the agent's strategy, by reason (`fixed_none`, `declared_none`). */
  readonly refusedRoutes: Counter<'reason'>;
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
    this.connections = new Gauge({
      name: 'tether_connections',
      help: 'Agents currently connected',
      registers,
      collect() {
        this.set(options.connections?.() ?? 0);
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
      help: 'MQTT sockets closed by a guard: rate_limited, admission, handshakes, handshake_timeout, packet_too_large, pre_connect_bytes, malformed_length',
      labelNames: ['reason'],
      registers,
    });
    this.tlsHandshakes = new Counter({
      name: 'tether_tls_handshakes_total',
      help: 'TLS handshakes started on the mqtts listener (only on admitted sockets), by outcome: secure, failed, timeout',
      labelNames: ['outcome'],
      registers,
    });
    this.connectRefusals = new Counter({
      name: 'tether_connect_refusals_total',
      help: 'CONNECTs refused with CONNACK 3 (server unavailable; the agent retries on its backoff): busy (waiting room full or wait over)',
      labelNames: ['reason'],
      registers,
    });
    this.connectsInFlight = new Gauge({
      name: 'tether_connects_in_flight',
      help: 'Agent connects accepted and not yet answered with their routes',
      registers,
    });
    this.connectsWaiting = new Gauge({
      name: 'tether_connects_waiting',
      help: 'Authenticated agent CONNECTs waiting for a place among the connects in flight',
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
    this.serviceConflicts = new Counter({
      name: 'tether_service_conflicts_total',
      help: 'Service name conflicts recorded: an edge first advertising a centrally defined service its policy does not admit',
      registers,
    });
    this.refusedRoutes = new Counter({
      name: 'tether_refused_routes_total',
      help: 'Advertised routes not stored because of the strategy: fixed_none (the hub fixed none), declared_none',
      labelNames: ['reason'],
      registers,
    });
    new Gauge({
      name: 'tether_service_conflicts',
      help: 'Edge instances kept out of selection now: (service, agent) pairs advertising a centrally defined name',
      registers,
      collect() {
        this.set(options.conflicts?.() ?? 0);
      },
    });
    this.reportLag = new Histogram({
      name: 'tether_report_lag_seconds',
      help: 'Edge accept to hub commit of each stored report',
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300, 3600, 86_400],
      registers,
    });
    this.mqttMessages = new RunningCounter(registers, {
      name: 'tether_mqtt_messages_total',
      help: 'MQTT publishes on Tether topics: in = from agents, out = from the hub; kind = topic suffix',
      labelNames: ['direction', 'kind'],
    });
    this.mqttBytes = new RunningCounter(registers, {
      name: 'tether_mqtt_bytes_total',
      help: 'Payload bytes of MQTT publishes on Tether topics, by direction',
      labelNames: ['direction'],
    });
    this.calls = new Counter({
      name: 'tether_calls_total',
      help: 'Finished calls through the network, by service, caller kind (central/edge) and HTTP status',
      labelNames: ['service', 'caller', 'status'],
      registers,
    });
    this.callDuration = new Histogram({
      name: 'tether_call_duration_seconds',
      help: 'Call durations to the end of the response body, by service and HTTP status',
      labelNames: ['service', 'status'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.callsInFlight = new Gauge({
      name: 'tether_calls_in_flight',
      help: 'Calls in flight, by service',
      labelNames: ['service'],
      registers,
    });
    this.httpRequests = new Counter({
      name: 'tether_http_requests_total',
      help: 'HTTP API requests, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'tether_http_request_duration_seconds',
      help: 'HTTP API request durations, by method and route pattern',
      labelNames: ['method', 'route'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    new Gauge({
      name: 'tether_tunnel_calls',
      help: 'Calls in flight through agent tunnels: outgoing = hub to edge, incoming = edge to hub',
      labelNames: ['direction'],
      registers,
      collect() {
        const t = options.tunnels?.() ?? { outgoing: 0, incoming: 0, queued: 0, streams: 0 };
        this.set({ direction: 'outgoing' }, t.outgoing);
        this.set({ direction: 'incoming' }, t.incoming);
      },
    });
    new Gauge({
      name: 'tether_tunnel_queue_depth',
      help: 'Calls waiting for tunnel window credit, summed over agents',
      registers,
      collect() {
        this.set(options.tunnels?.().queued ?? 0);
      },
    });
    new Gauge({
      name: 'tether_routes',
      help: 'Routes in the table, by state',
      labelNames: ['state'],
      registers,
      collect() {
        const table = options.routes?.();
        this.set({ state: 'active' }, table?.count({ state: 'active' }) ?? 0);
        this.set({ state: 'stale' }, table?.count({ state: 'stale' }) ?? 0);
      },
    });
  }

  /** Gauges of a part started after the metrics read it from now on (each part hands its own source once). */
  readFrom(sources: Partial<MetricsSources>): void {
    Object.assign(this.#sources, sources);
  }
}
