import { encode, statusTopic, type Clock } from '@tether/shared';
import type { MqttTransportOptions, TransportLogger } from '../link/mqtt-transport-types.js';
import type { TlsPlan } from '../link/tls/tls-plan.js';
import { normalizeControlPlaneUrl } from '../link/control-plane-url.js';
import { agentStatusMessage, type AgentIdentity } from '../sync/agent-status.js';
import type { StartAgentOptions } from './agent-options.js';

/** What the link's options are made of besides the agent's own options. */
export interface LinkContext {
  identity: AgentIdentity;
  /** The normalised control-plane URL. */
  controlPlane: string;
  tls: TlsPlan;
  clock: Clock;
  logger: TransportLogger;
}

/**
 * The MQTT link's options from an agent's: its id and secret as credentials, every replica's URL, and a Last Will
 * (the retained offline status, stamped afresh at each attempt).
 */
export function linkOptions(options: StartAgentOptions, context: LinkContext): MqttTransportOptions {
  const { identity, controlPlane, tls, clock, logger } = context;
  return {
    url: controlPlane,
    ...(options.controlPlanes && options.controlPlanes.length > 1
      ? { urls: options.controlPlanes.map(normalizeControlPlaneUrl) }
      : {}),
    clientId: options.id,
    username: options.id,
    password: options.secret,
    will: () => ({
      topic: statusTopic(options.id),
      payload: encode(agentStatusMessage(identity, 'offline', clock.now())),
      qos: 1,
      retain: true,
    }),
    clock,
    logger,
    tls,
    ...(options.random ? { random: options.random } : {}),
    ...(options.backoff ? { backoff: options.backoff } : {}),
    ...(options.authBackoff ? { authBackoff: options.authBackoff } : {}),
  };
}
