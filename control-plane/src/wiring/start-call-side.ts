import { startCalls, type Calls } from '../calls/start-calls.js';
import { startServices, type Services } from '../services/start-services.js';
import { ListenerStore } from '../store/listener-store.js';
import { TcpListeners } from '../tcp/tcp-listeners.js';
import type { Base } from './open-base.js';
import type { AgentSide } from './start-agent-side.js';
import type { BrokerParts } from './start-broker.js';
import type { StartContext } from './start-context.js';

/** Central services and policies, the calls and streams through agents' tunnels, the TCP listeners. */
export interface CallSide {
  /** The site stamped on central routes. */
  site: string;
  services: Services;
  calls: Calls;
  /** Built, not yet bound. */
  tcpListeners: TcpListeners;
}

/** Starts the central services and the call machinery over the agents' tunnels; builds the TCP listeners. */
export async function startCallSide(
  ctx: StartContext,
  base: Base,
  mqtt: BrokerParts,
  { distribution, liveness }: AgentSide,
): Promise<CallSide> {
  const { options, clock, logger } = ctx;
  const { db, table, agents, bus, audit, metrics, callStats } = base;
  const { transport, sockets, replicaId } = mqtt;
  const site = options.site ?? 'central';
  const services = await startServices({
    db,
    table,
    services: base.services,
    distribution,
    bus,
    logger,
    clock,
    site,
    config: options.services ?? [],
    policies: options.policies ?? {},
    audit,
    metrics,
  });
  metrics.readFrom({ conflicts: () => services.conflicts.count() });
  const calls = await startCalls({
    transport,
    agents,
    connections: liveness,
    metrics,
    logger,
    clock,
    picker: services.picker,
    stats: callStats,
    isConnected: (id) => liveness.isConnected(id),
    ...(replicaId === undefined ? {} : { replicaId, isLocal: (id: string) => liveness.isLocal(id) }),
    ...(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes }),
    ...(options.streamLimits ? { streamLimits: options.streamLimits } : {}),
    sockets,
    holdsSocket: (id) => liveness.holdsSocket(id),
  });
  metrics.readFrom({ tunnels: () => calls.tunnels.figures() });
  const tcpListeners = new TcpListeners({
    store: new ListenerStore(db),
    audit,
    streams: calls.streams,
    own: calls.ownListeners,
    metrics,
    logger,
    clock,
  });
  return { site, services, calls, tcpListeners };
}
