import { PROTOCOL_VERSION, type AdvertiseStrategy, type AgentStatus, type Labels } from '@tether/shared';

/** Who an agent is, as its status messages tell everyone. */
export interface AgentIdentity {
  id: string;
  strategy: AdvertiseStrategy;
  site: string;
  labels: Labels;
  version: string;
}

/** The retained `agent-status` message: online on connect, offline as Last Will and on clean shutdown. */
export function agentStatusMessage(
  identity: AgentIdentity,
  status: 'online' | 'offline',
  at: number,
): AgentStatus {
  return {
    v: PROTOCOL_VERSION,
    type: 'agent-status',
    agentId: identity.id,
    status,
    strategy: identity.strategy,
    site: identity.site,
    labels: identity.labels,
    version: identity.version,
    at,
  };
}
