import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { OutboxStats } from '@tether/shared';

/** The connection figures the gauges read (the link's stats). */
export interface ConnectionFigures {
  state: string;
  reconnects: number;
  /** MQTT publishes and their payload bytes since the start: `in` received, `out` sent. */
  traffic: {
    messagesIn: number;
    messagesOut: number;
    bytesIn: number;
    bytesOut: number;
    socketBytesOut: number;
  };
}

/** What the agent's gauges read when scraped. */
export interface AgentMetricsSources {
  connection(): ConnectionFigures;
  routes(): { local: number; central: number };
  outbox(): OutboxStats;
  /** Calls in flight on the tunnel, waiting for window credit, and streams open (zero until the tunnel opens). */
  tunnel?(): { outgoing: number; incoming: number; queued: number; streams: number };
  /** Reports accepted into the outbox since the start. */
  reportsAccepted?(): number;
  /** Stream bytes through the tunnel since the start: `up` sent to the hub, `down` received. */
  streamBytes?(): { up: number; down: number };
}

/** Which way a call went: `out` = a local app called through this agent, `in` = the hub called a local instance. */
export type CallDirection = 'out' | 'in';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** A counter that follows a running total read at scrape time. */
export function totalCounter(
  registry: Registry,
  name: string,
  help: string,
  labelNames: string[],
  read: () => Array<[Record<string, string>, number]>,
): void {
  const last = new Map<string, number>();
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      for (const [labels, total] of read()) {
        const key = JSON.stringify(labels);
        const delta = total - (last.get(key) ?? 0);
        if (delta > 0) this.inc(labels, delta);
        last.set(key, total);
      }
    },
  });
}

/**
 * The agent's Prometheus metrics on a per-agent registry. Loaded only when first needed (AgentMetrics in
 * metrics.ts): prom-client is a few MiB of an idle agent's memory (pnpm bench:footprint).
 */
export class PromMetrics {
  /** The registry `/metrics` serves. */
  readonly registry = new Registry();
  /** Finished calls by direction, service and HTTP status. */
  readonly calls: Counter<'direction' | 'service' | 'status'>;
  /** Call durations by direction, service and HTTP status. */
  readonly callDuration: Histogram<'direction' | 'service' | 'status'>;
  /** Local API requests refused before any route ran: `screen` (Host, Origin) or `token`. */
  readonly apiRefusals: Counter<'reason'>;
  /** Stream opens refused, by error code. */
  readonly streamsRefused: Counter<'reason'>;

  /** `sources` is read at scrape time: a part opened later may still add its source to the object. */
  constructor(sources: AgentMetricsSources) {
    const registers = [this.registry];
    new Gauge({
      name: 'tether_agent_connected',
      help: '1 while the agent holds a connection to the control plane',
      registers,
      collect() {
        this.set(sources.connection().state === 'connected' ? 1 : 0);
      },
    });
    totalCounter(
      this.registry,
      'tether_agent_reconnects_total',
      'Reconnections to the control plane',
      [],
      () => [[{}, sources.connection().reconnects]],
    );
    totalCounter(
      this.registry,
      'tether_agent_mqtt_messages_total',
      'MQTT publishes: in = received, out = sent',
      ['direction'],
      () => {
        const t = sources.connection().traffic;
        return [
          [{ direction: 'in' }, t.messagesIn],
          [{ direction: 'out' }, t.messagesOut],
        ];
      },
    );
    totalCounter(
      this.registry,
      'tether_agent_mqtt_bytes_total',
      'MQTT payload bytes: in = received, out = sent',
      ['direction'],
      () => {
        const t = sources.connection().traffic;
        return [
          [{ direction: 'in' }, t.bytesIn],
          [{ direction: 'out' }, t.bytesOut],
        ];
      },
    );
    totalCounter(
      this.registry,
      'tether_agent_socket_bytes_written_total',
      'Bytes written to the sockets of the MQTT connections (framing, control and keepalives included)',
      [],
      () => [[{}, sources.connection().traffic.socketBytesOut]],
    );
    new Gauge({
      name: 'tether_agent_routes',
      help: 'Routes the agent knows: local = its own, central = received from the hub',
      labelNames: ['kind'],
      registers,
      collect() {
        const r = sources.routes();
        this.set({ kind: 'local' }, r.local);
        this.set({ kind: 'central' }, r.central);
      },
    });
    new Gauge({
      name: 'tether_agent_outbox_depth',
      help: 'Reports in the outbox not yet acknowledged by the hub',
      registers,
      collect() {
        this.set(sources.outbox().depth);
      },
    });
    new Gauge({
      name: 'tether_agent_outbox_bytes',
      help: 'Body bytes of the reports in the outbox',
      registers,
      collect() {
        this.set(sources.outbox().bytes);
      },
    });
    new Gauge({
      name: 'tether_agent_outbox_oldest_age_seconds',
      help: 'Age of the oldest report in the outbox (0 when empty)',
      registers,
      collect() {
        this.set((sources.outbox().oldestAgeMs ?? 0) / 1000);
      },
    });
    totalCounter(
      this.registry,
      'tether_agent_outbox_dropped_total',
      'Reports dropped by the drop-oldest policy',
      [],
      () => [[{}, sources.outbox().dropped]],
    );
    new Gauge({
      name: 'tether_agent_tunnel_calls',
      help: 'Calls in flight on the tunnel: outgoing = to the hub, incoming = from the hub',
      labelNames: ['direction'],
      registers,
      collect() {
        const t = sources.tunnel?.() ?? { outgoing: 0, incoming: 0, queued: 0, streams: 0 };
        this.set({ direction: 'outgoing' }, t.outgoing);
        this.set({ direction: 'incoming' }, t.incoming);
      },
    });
    new Gauge({
      name: 'tether_agent_tunnel_queue_depth',
      help: 'Calls waiting for tunnel window credit',
      registers,
      collect() {
        this.set(sources.tunnel?.().queued ?? 0);
      },
    });
    new Gauge({
      name: 'tether_agent_tunnel_streams',
      help: 'Byte streams open through the tunnel now (TCP connections and upgraded HTTP connections)',
      registers,
      collect() {
        this.set(sources.tunnel?.().streams ?? 0);
      },
    });
    totalCounter(
      this.registry,
      'tether_agent_tunnel_stream_bytes_total',
      'Stream bytes through the tunnel: up = sent to the hub, down = received',
      ['direction'],
      () => {
        const bytes = sources.streamBytes?.() ?? { up: 0, down: 0 };
        return [
          [{ direction: 'up' }, bytes.up],
          [{ direction: 'down' }, bytes.down],
        ];
      },
    );
    this.streamsRefused = new Counter({
      name: 'tether_agent_tunnel_stream_opens_refused_total',
      help: 'Stream opens refused (no route, refused by the service, too many streams...), by error code',
      labelNames: ['reason'],
      registers,
    });
    this.apiRefusals = new Counter({
      name: 'tether_agent_api_refusals_total',
      help: 'Local API requests refused: screen = a Host or Origin not allowed (cross-site, DNS rebinding), token',
      labelNames: ['reason'],
      registers,
    });
    totalCounter(
      this.registry,
      'tether_agent_reports_accepted_total',
      'Reports accepted into the outbox',
      [],
      () => [[{}, sources.reportsAccepted?.() ?? 0]],
    );
    this.calls = new Counter({
      name: 'tether_agent_calls_total',
      help: 'Finished calls: out = local apps through this agent, in = the hub to local instances',
      labelNames: ['direction', 'service', 'status'],
      registers,
    });
    this.callDuration = new Histogram({
      name: 'tether_agent_call_duration_seconds',
      help: 'Call durations to the end of the response body',
      labelNames: ['direction', 'service', 'status'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
  }

  /** Records a finished call. */
  callDone(direction: CallDirection, service: string, status: number, seconds: number): void {
    const labels = { direction, service, status: String(status) };
    this.calls.inc(labels);
    this.callDuration.observe(labels, seconds);
  }
}
