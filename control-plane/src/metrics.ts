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
