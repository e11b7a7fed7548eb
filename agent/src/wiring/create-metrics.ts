import { AgentMetrics } from '../observability/metrics.js';
import type { HubLink } from './hub-link.js';
import type { LocalState } from './open-local-state.js';

/** The agent's metrics, reading the link, the route table and the outbox (the uplink's metrics loaded lazily). */
export function createMetrics(agentId: string, { table, outbox }: LocalState, link: HubLink): AgentMetrics {
  const { transport, forwarder } = link;
  const metrics = new AgentMetrics({
    connection: () => transport.stats,
    routes: () => ({
      local: table.count({ origin: agentId }),
      central: table.count({ originKind: 'central' }),
    }),
    outbox: () => outbox.stats(),
  });
  metrics.extend(async (registry) =>
    (await import('../reports/uplink-metrics.js')).registerUplinkMetrics(registry, () => forwarder.uplink()),
  );
  return metrics;
}
