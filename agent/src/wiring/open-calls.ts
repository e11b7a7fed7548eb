import type { RouteTable } from '@tether/shared';
import { openAgentTunnel, type AgentTunnel } from '../calls/agent-tunnel.js';
import { openTcpListeners, type TcpListeners } from '../calls/tcp-listeners.js';
import type { MqttTransport } from '../link/mqtt-transport.js';
import type { AgentMetrics } from '../observability/metrics.js';
import type { UndoStack } from '../undo-stack.js';
import type { StartContext } from './start-context.js';

/** Opens the agent's tunnel over the link, its calls and streams counted in the metrics; pushes its undo. */
export async function openTunnel(
  ctx: StartContext,
  deps: { table: RouteTable; transport: MqttTransport; metrics: AgentMetrics },
  undo: UndoStack,
): Promise<AgentTunnel> {
  const { options, clock, logger } = ctx;
  const { table, transport, metrics } = deps;
  const tunnel = await openAgentTunnel({
    id: options.id,
    transport,
    table,
    clock,
    logger,
    observe: (service) => metrics.beginCall('in', service, () => clock.now()),
    streamEvents: {
      sent: (n) => metrics.streamBytes('up', n),
      received: (n) => metrics.streamBytes('down', n),
      refused: (code) => metrics.streamRefused(code),
    },
  });
  undo.defer('tunnel', () => tunnel.close());
  metrics.readFrom({ tunnel: () => tunnel.endpoint.stats });
  return tunnel;
}

/** Opens the `--listen` ports, each connection a stream through the tunnel; pushes their undo. */
export async function openListeners(
  ctx: StartContext,
  tunnel: AgentTunnel,
  metrics: AgentMetrics,
  undo: UndoStack,
): Promise<TcpListeners> {
  const { options, logger } = ctx;
  const tcp = await openTcpListeners(options.listen ?? [], {
    id: options.id,
    endpoint: tunnel.endpoint,
    logger,
    refused: (code) => metrics.streamRefused(code),
  });
  undo.defer('listeners', () => tcp.close());
  return tcp;
}
