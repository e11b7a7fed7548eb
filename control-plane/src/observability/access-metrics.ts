import { Counter, Gauge, type Registry } from 'prom-client';

/** Who was let in and who was not: refused connects, sockets, publishes and API requests; admission; revocations. */
export interface AccessMetrics {
  /** Refused MQTT connections, by reason. */
  readonly authFailures: Counter<'reason'>;
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
}

/** Registers the access metrics. */
export function accessMetrics(registers: Registry[]): AccessMetrics {
  return {
    authFailures: new Counter({
      name: 'tether_auth_failures_total',
      help: 'Refused MQTT connections, by reason',
      labelNames: ['reason'],
      registers,
    }),
    apiAuthFailures: new Counter({
      name: 'tether_api_auth_failures_total',
      help: 'API requests refused with 401 or 403, by reason',
      labelNames: ['reason'],
      registers,
    }),
    socketRefusals: new Counter({
      name: 'tether_socket_refusals_total',
      help: 'MQTT sockets closed by a guard: rate_limited, admission, handshakes, handshake_timeout, packet_too_large, pre_connect_bytes, malformed_length',
      labelNames: ['reason'],
      registers,
    }),
    tlsHandshakes: new Counter({
      name: 'tether_tls_handshakes_total',
      help: 'TLS handshakes started on the mqtts listener (only on admitted sockets), by outcome: secure, failed, timeout',
      labelNames: ['outcome'],
      registers,
    }),
    connectRefusals: new Counter({
      name: 'tether_connect_refusals_total',
      help: 'CONNECTs refused with CONNACK 3 (server unavailable; the agent retries on its backoff): busy (waiting room full or wait over)',
      labelNames: ['reason'],
      registers,
    }),
    connectsInFlight: new Gauge({
      name: 'tether_connects_in_flight',
      help: 'Agent connects accepted and not yet answered with their routes',
      registers,
    }),
    connectsWaiting: new Gauge({
      name: 'tether_connects_waiting',
      help: 'Authenticated agent CONNECTs waiting for a place among the connects in flight',
      registers,
    }),
    publishDenials: new Counter({
      name: 'tether_publish_denials_total',
      help: 'Publishes refused (agent disconnected, once per connection), by reason: acl, rate',
      labelNames: ['reason'],
      registers,
    }),
    subscribeDenials: new Counter({
      name: 'tether_subscribe_denials_total',
      help: 'Subscriptions refused by the ACL (SUBACK failure)',
      registers,
    }),
    publishesThrottled: new Counter({
      name: 'tether_publishes_throttled_total',
      help: 'Publishes delayed by a per-agent rate limit',
      registers,
    }),
    quarantines: new Counter({
      name: 'tether_quarantines_total',
      help: 'Quarantines started after repeated denials (CONNECT refused for a while)',
      registers,
    }),
    revocations: new Counter({
      name: 'tether_revocations_total',
      help: 'Agents revoked and disconnected',
      registers,
    }),
  };
}
