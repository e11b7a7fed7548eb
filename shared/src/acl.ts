import { AgentIdSchema } from './ids.js';
import {
  advertTopic,
  credentialsTopic,
  inboxTopic,
  reportsAckTopic,
  reportsTopic,
  statusTopic,
  tunnelDownTopic,
  tunnelUpTopic,
} from './topics.js';

/** Topics an agent may publish to: only its own agent -> hub topics. */
export function agentPublishTopics(agentId: string): string[] {
  return [
    advertTopic(agentId),
    statusTopic(agentId),
    tunnelUpTopic(agentId),
    reportsTopic(agentId),
    credentialsTopic(agentId),
  ];
}

/** Topic filters an agent may subscribe to: only its own hub -> agent topics, no wildcards. */
export function agentSubscribeTopics(agentId: string): string[] {
  return [inboxTopic(agentId), tunnelDownTopic(agentId), reportsAckTopic(agentId)];
}

/** Deny-by-default publish ACL: true only for a topic in the agent's own publish list. */
export function agentMayPublish(agentId: string, topic: string): boolean {
  return isAgentId(agentId) && agentPublishTopics(agentId).includes(topic);
}

/** Deny-by-default subscribe ACL: true only for an exact filter in the agent's own subscribe list. */
export function agentMaySubscribe(agentId: string, filter: string): boolean {
  return isAgentId(agentId) && agentSubscribeTopics(agentId).includes(filter);
}

/** An id like `+`, `#`, `a/b` or `central` would turn the agent's own topics into wildcards or another namespace. */
function isAgentId(agentId: string): boolean {
  return AgentIdSchema.safeParse(agentId).success;
}
