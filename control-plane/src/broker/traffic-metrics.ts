import type { Aedes } from 'aedes';
import { TOPIC_ROOT } from '@tether/shared';
import type { Metrics } from '../observability/metrics.js';
import type { CounterSlot } from '../observability/running-counter.js';

/** The last segment of every agent topic: bounded, so it can be a metric label. */
const KINDS = new Set(['advert', 'status', 'tunnel-up', 'reports', 'inbox', 'tunnel-down', 'reports-ack']);

/**
 * Counts every publish on Tether's topics through the broker: `in` when an agent sent it, `out` when the hub
 * did (its in-process publishes have no client), labelled with the topic kind. Observation only: no policy.
 */
export function countBrokerTraffic(broker: Aedes, metrics: Metrics): void {
  const prefix = `${TOPIC_ROOT}/`;
  // One running total per label set, found without building a label object per publish.
  const slots = (direction: 'in' | 'out'): Map<string, CounterSlot> =>
    new Map([...KINDS, 'other'].map((kind) => [kind, metrics.mqttMessages.slot({ direction, kind })]));
  const messages = { in: slots('in'), out: slots('out') };
  const bytes = {
    in: metrics.mqttBytes.slot({ direction: 'in' }),
    out: metrics.mqttBytes.slot({ direction: 'out' }),
  };
  broker.on('publish', (packet, client) => {
    if (!packet.topic.startsWith(prefix)) return;
    const last = packet.topic.slice(packet.topic.lastIndexOf('/') + 1);
    const direction = client ? 'in' : 'out';
    const kinds = messages[direction];
    (kinds.get(last) ?? kinds.get('other')!).total++;
    // The hub's own direct writes of a payload in parts tell its size instead (AgentSocketWriter.writeParts).
    bytes[direction].total += (packet as { payloadLength?: number }).payloadLength ?? packet.payload.length;
  });
}
