import { AgentIdSchema } from './ids.js';

/** Every MQTT topic Tether uses. An agent's topics live under `tether/v1/agents/<agentId>/`. */
export const TOPIC_ROOT = 'tether/v1';

/** The namespace of one agent. */
export function agentNamespace(agentId: string): string {
  return `${TOPIC_ROOT}/agents/${agentId}`;
}

/** Agent -> hub: advert snapshots, deltas, digests and the agent's resync requests. */
export function advertTopic(agentId: string): string {
  return `${agentNamespace(agentId)}/advert`;
}

/** Agent -> everyone, retained: the agent's status (online, or offline via its Last Will). */
export function statusTopic(agentId: string): string {
  return `${agentNamespace(agentId)}/status`;
}

/** Hub -> agent: routes for the agent, resync requests and errors. */
export function inboxTopic(agentId: string): string {
  return `${agentNamespace(agentId)}/inbox`;
}

/**
 * Agent -> hub: tunnel frames the agent sends, as caller (edge -> central calls) or callee (replies). With a
 * replica id (a cluster, docs/cluster.md): the agent's replies to that replica's calls.
 */
export function tunnelUpTopic(agentId: string, replica?: string): string {
  return `${agentNamespace(agentId)}/tunnel-up${replica === undefined ? '' : `/${replica}`}`;
}

/**
 * Hub -> agent: tunnel frames the hub sends, as caller (central -> edge calls) or callee (replies). With a replica
 * id: that replica's calls to the agent (`+` is the agent's one subscription to every replica's).
 */
export function tunnelDownTopic(agentId: string, replica?: string): string {
  return `${agentNamespace(agentId)}/tunnel-down${replica === undefined ? '' : `/${replica}`}`;
}

/** The replica id at the end of a per-replica tunnel topic (`.../tunnel-up/<replica>`), else undefined. */
export function tunnelReplicaFromTopic(topic: string): string | undefined {
  const parts = topic.split('/');
  if (parts.length !== 6 || agentIdFromTopic(topic) === undefined) return undefined;
  return parts[5];
}

/** Agent -> hub: batches of reports from the agent's outbox (QoS 1). */
export function reportsTopic(agentId: string): string {
  return `${agentNamespace(agentId)}/reports`;
}

/** Hub -> agent: acknowledgements of reports, sent only after they are committed. */
export function reportsAckTopic(agentId: string): string {
  return `${agentNamespace(agentId)}/reports-ack`;
}

/** Agent -> hub: credential messages (the acknowledgement of a rotated secret). */
export function credentialsTopic(agentId: string): string {
  return `${agentNamespace(agentId)}/credentials`;
}

/** Agent -> hub: upgrade messages (chunk requests, outcomes; the offers and chunks come on the inbox). */
export function upgradesTopic(agentId: string): string {
  return `${agentNamespace(agentId)}/upgrades`;
}

/** Wildcard subscriptions the hub uses to hear every agent. */
export const HUB_SUBSCRIPTIONS = {
  adverts: `${TOPIC_ROOT}/agents/+/advert`,
  statuses: `${TOPIC_ROOT}/agents/+/status`,
  tunnels: `${TOPIC_ROOT}/agents/+/tunnel-up`,
  reports: `${TOPIC_ROOT}/agents/+/reports`,
  credentials: `${TOPIC_ROOT}/agents/+/credentials`,
  upgrades: `${TOPIC_ROOT}/agents/+/upgrades`,
} as const;

const AGENT_TOPICS = new Set([
  'advert',
  'status',
  'inbox',
  'tunnel-up',
  'tunnel-down',
  'reports',
  'reports-ack',
  'credentials',
  'upgrades',
]);

const PER_REPLICA_TOPICS = new Set(['tunnel-up', 'tunnel-down']);

/**
 * The agent id inside an agent topic, or undefined when the topic is not one. Per-replica tunnel topics
 * (`.../tunnel-up/<replica>`) count when the replica is a valid id.
 */
export function agentIdFromTopic(topic: string): string | undefined {
  const parts = topic.split('/');
  if (parts.length !== 5 && parts.length !== 6) return undefined;
  if (`${parts[0]}/${parts[1]}` !== TOPIC_ROOT || parts[2] !== 'agents') return undefined;
  if (!AGENT_TOPICS.has(parts[4]!) || !AgentIdSchema.safeParse(parts[3]).success) return undefined;
  if (
    parts.length === 6 &&
    (!PER_REPLICA_TOPICS.has(parts[4]!) || !AgentIdSchema.safeParse(parts[5]).success)
  )
    return undefined;
  return parts[3];
}
