import { AgentIdSchema } from './ids.js';
import {
  agentIdFromTopic,
  advertTopic,
  credentialsTopic,
  inboxTopic,
  reportsAckTopic,
  reportsTopic,
  statusTopic,
  tunnelDownTopic,
  tunnelReplicaFromTopic,
  tunnelUpTopic,
  upgradesTopic,
} from './topics.js';

/** Topics an agent may publish to: only its own agent -> hub topics. */
export function agentPublishTopics(agentId: string): string[] {
  return [
    advertTopic(agentId),
    statusTopic(agentId),
    tunnelUpTopic(agentId),
    reportsTopic(agentId),
    credentialsTopic(agentId),
    upgradesTopic(agentId),
  ];
}

/**
 * Topic filters an agent may subscribe to: only its own hub -> agent topics, and one wildcard, its per-replica
 * tunnel-down filter (`.../tunnel-down/+`, every replica's calls to it in a cluster).
 */
export function agentSubscribeTopics(agentId: string): string[] {
  return [
    inboxTopic(agentId),
    tunnelDownTopic(agentId),
    tunnelDownTopic(agentId, '+'),
    reportsAckTopic(agentId),
  ];
}

/** Publish topics by valid agent id: every message an agent sends is checked (a few per call). */
const publishTopicsOf = new Map<string, ReadonlySet<string>>();
const MAX_CACHED_AGENTS = 100_000;

/** The agent's own publish topics, or undefined for an id that is not a valid agent id. */
function ownPublishTopics(agentId: string): ReadonlySet<string> | undefined {
  let own = publishTopicsOf.get(agentId);
  if (own) return own;
  if (!isAgentId(agentId)) return undefined;
  if (publishTopicsOf.size >= MAX_CACHED_AGENTS) publishTopicsOf.clear();
  own = new Set(agentPublishTopics(agentId));
  publishTopicsOf.set(agentId, own);
  return own;
}

/**
 * Deny-by-default publish ACL: true only for a topic in the agent's own publish list, or its tunnel-up topic to
 * one replica (`.../tunnel-up/<replica id>`).
 */
export function agentMayPublish(agentId: string, topic: string): boolean {
  const own = ownPublishTopics(agentId);
  if (!own) return false;
  if (own.has(topic)) return true;
  const replica = tunnelReplicaFromTopic(topic);
  return replica !== undefined && topic === tunnelUpTopic(agentId, replica);
}

/**
 * True for a filter on one agent's hub -> agent topics (what `agentSubscribeTopics` lists). Nothing is ever
 * retained under those topics: only the hub publishes there, never with retain; agents may not publish there.
 */
export function isHubToAgentFilter(filter: string): boolean {
  const agentId = agentIdFromTopic(filter);
  return agentId !== undefined && agentSubscribeTopics(agentId).includes(filter);
}

/** Deny-by-default subscribe ACL: true only for an exact filter in the agent's own subscribe list. */
export function agentMaySubscribe(agentId: string, filter: string): boolean {
  return isAgentId(agentId) && agentSubscribeTopics(agentId).includes(filter);
}

/** An id like `+`, `#`, `a/b` or `central` would turn the agent's own topics into wildcards or another namespace. */
function isAgentId(agentId: string): boolean {
  return AgentIdSchema.safeParse(agentId).success;
}
