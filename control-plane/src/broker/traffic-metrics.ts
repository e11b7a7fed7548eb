import type { Aedes } from 'aedes';
import { TOPIC_ROOT } from '@tether/shared';
import type { Metrics } from '../observability/metrics.js';

/** The last segment of every agent topic: bounded, so it can be a metric label. */
const KINDS = new Set(['advert', 'status', 'tunnel-up', 'reports', 'inbox', 'tunnel-down', 'reports-ack']);

/**
 * Counts every publish on Tether's topics through the broker: `in` when an agent sent it, `out` when the hub
 * did (its in-process publishes have no client), labelled with the topic kind. Observation only: no policy.
 */
export function countBrokerTraffic(broker: Aedes, metrics: Metrics): void {
  const prefix = `${TOPIC_ROOT}/`;
  broker.on('publish', (packet, client) => {
    if (!packet.topic.startsWith(prefix)) return;
    const last = packet.topic.slice(packet.topic.lastIndexOf('/') + 1);
    const direction = client ? 'in' : 'out';
    metrics.mqttMessages.inc({ direction, kind: KINDS.has(last) ? last : 'other' });
    metrics.mqttBytes.inc({ direction }, packet.payload.length);
  });
}
