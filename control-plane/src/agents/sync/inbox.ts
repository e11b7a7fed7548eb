import {
  encode,
  inboxTopic,
  PROTOCOL_VERSION,
  type ErrorMessage,
  type InboxMessage,
  type ResyncRequest,
  type Transport,
} from '@tether/shared';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';

/** What sending to an agent's inbox needs. */
export interface InboxSender {
  transport: Transport;
  logger: Logger;
}

type Sender = InboxSender;

/**
 * Publishes one message to an agent's inbox. QoS 0: agents use clean sessions, so QoS 1 would buy no redelivery
 * (a reconnect opens a new epoch with a full send) and a lost message shows as a seq gap, which asks for a resync.
 * Never rejects: a failed publish is logged.
 */
export async function sendToInbox(ctx: Sender, agentId: string, message: InboxMessage): Promise<void> {
  try {
    await ctx.transport.publish(inboxTopic(agentId), encode(message), { qos: 0 });
  } catch (err) {
    ctx.logger.warn({ err, agentId, type: message.type }, 'inbox publish failed');
  }
}

/** Tells an agent something it sent was refused. */
export function sendError(ctx: Sender, agentId: string, code: string, message: string): Promise<void> {
  const error: ErrorMessage = { v: PROTOCOL_VERSION, type: 'error', code, message: message.slice(0, 1024) };
  return sendToInbox(ctx, agentId, error);
}

/** Asks an agent for a new snapshot, counting why. */
export function requestResync(
  ctx: InboxSender & { metrics: Pick<Metrics, 'resyncRequests'> },
  agentId: string,
  reason: string,
): Promise<void> {
  ctx.metrics.resyncRequests.inc({ reason });
  ctx.logger.info({ agentId, reason }, 'resync requested');
  const request: ResyncRequest = { v: PROTOCOL_VERSION, type: 'resync-request', reason };
  return sendToInbox(ctx, agentId, request);
}
