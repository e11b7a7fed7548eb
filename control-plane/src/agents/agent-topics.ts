import { agentIdFromTopic, type Decoded, type Transport } from '@tether/shared';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';

/** One kind of topic agents publish to: how its payloads are validated, refused and handled. */
export interface AgentTopic<M> {
  /** What the messages are, in logs (`advert`, `status`, `report batch`, `credential message`). */
  name: string;
  /** The hub's subscription (one of HUB_SUBSCRIPTIONS). */
  filter: string;
  /** Validates a payload once (zod; a compressed report frame is inflated first). */
  decode(payload: Uint8Array): Decoded<M>;
  /** Handles one valid message: one exhaustive switch over its type, one small handler each. */
  handle(agentId: string, message: M): void | Promise<void>;
  /**
   * Counts, logs and answers a refused payload, where a topic does more than the default (a warning with the
   * agent id and tether_invalid_messages_total).
   */
  refused?(agentId: string, reason: string, detail: string): void | Promise<void>;
  /** Payloads dropped without a word (a cleared retained status). */
  skip?(payload: Uint8Array): boolean;
}

/** What the router reports with. */
export interface AgentTopicRouterDeps {
  transport: Transport;
  metrics: Metrics;
  logger: Logger;
}

/**
 * The hub's one ingress of what agents publish: per topic, the agent id from the topic (the ACL guarantees an
 * agent publishes only under its own), one validation, then the topic's handler. A refused payload is logged with
 * the agent id and changes nothing; a handler that throws is counted as `internal`. Never throws or rejects.
 */
export async function routeAgentTopics(
  deps: AgentTopicRouterDeps,
  topics: readonly AgentTopic<unknown>[],
): Promise<void> {
  for (const topic of topics)
    await deps.transport.subscribe(topic.filter, (name, payload) => void receive(deps, topic, name, payload));
}

async function receive(
  deps: AgentTopicRouterDeps,
  topic: AgentTopic<unknown>,
  name: string,
  payload: Uint8Array,
): Promise<void> {
  const agentId = agentIdFromTopic(name);
  if (!agentId || topic.skip?.(payload)) return;
  try {
    const decoded = deps.metrics.stages.time('decode', () => topic.decode(payload));
    if (!decoded.ok) {
      const detail = decoded.error.slice(0, 300);
      if (topic.refused) return await topic.refused(agentId, decoded.reason, detail);
      deps.metrics.invalidMessages.inc({ reason: decoded.reason });
      deps.logger.warn({ agentId, reason: decoded.reason, detail }, `invalid ${topic.name} refused`);
      return;
    }
    await topic.handle(agentId, decoded.message);
  } catch (err) {
    deps.metrics.invalidMessages.inc({ reason: 'internal' });
    deps.logger.error({ err, agentId }, `${topic.name} handling failed`);
  }
}
