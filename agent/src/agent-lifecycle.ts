import { encode, statusTopic, type Clock } from '@tether/shared';
import { agentStatusMessage, type AgentIdentity } from './sync/agent-status.js';
import type { AgentTunnel } from './calls/agent-tunnel.js';
import type { TcpListeners } from './calls/tcp-listeners.js';
import type { MqttTransport } from './link/mqtt-transport.js';
import { withTimeout } from './link/with-timeout.js';
import type { AgentLogger } from './observability/logger.js';
import type { ReportForwarder } from './reports/forwarder.js';
import type { ReportOutbox } from './reports/lazy-outbox.js';
import type { ServiceRegistry } from './services/service-registry.js';
import type { SourceRunner } from './sources/source-runner.js';
import type { RouteCache } from './sync/route-cache.js';
import type { RouteSync } from './sync/route-sync.js';
import type { UpgradeReceiver } from './upgrades/upgrade-receiver.js';

/** The parts of a started agent that have something to stop, close or flush. */
export interface AgentParts {
  identity: AgentIdentity;
  clock: Clock;
  logger: AgentLogger;
  runners: readonly SourceRunner[];
  registry: ServiceRegistry;
  sync: RouteSync;
  upgrades: UpgradeReceiver;
  forwarder: ReportForwarder;
  transport: MqttTransport;
  tunnel: AgentTunnel;
  cache: RouteCache;
  outbox: ReportOutbox;
  /** The `--listen` ports. */
  tcp: TcpListeners;
}

/** How long the retained offline status may take to publish when the agent stops. */
const OFFLINE_STATUS_TIMEOUT_MS = 2_000;

/**
 * Stops a running agent, in order: the sources, sync, upgrades and forwarder; the retained offline status
 * (while connected, 2 s at most); the listeners, tunnel, link and local API; the route cache is flushed and the
 * outbox closed.
 */
export async function stopAgent(parts: AgentParts, api: { close(): Promise<void> }): Promise<void> {
  const { identity, clock, logger, runners, registry, sync, upgrades, forwarder, tunnel, transport } = parts;
  await Promise.all(runners.map((r) => r.close()));
  registry.close();
  sync.stop();
  upgrades.stop();
  forwarder.stop();
  if (transport.connected) {
    const offline = encode(agentStatusMessage(identity, 'offline', clock.now()));
    await withTimeout(
      transport.publish(statusTopic(identity.id), offline, { qos: 1, retain: true }),
      OFFLINE_STATUS_TIMEOUT_MS,
      clock,
    ).catch((err: Error) => logger.warn({ err: err.message }, 'could not publish the offline status'));
  }
  await parts.tcp.close();
  await tunnel.close();
  await transport.close();
  await api.close();
  await parts.cache.flush();
  parts.outbox.close();
  logger.info({ id: identity.id }, 'agent stopped');
}
