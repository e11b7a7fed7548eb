import { AdvertMessageSchema, agentIdFromTopic, decode, type AdvertMessage } from '@tether/shared';
import type { SyncContext } from './context.js';
import { handleDelta } from './handle-delta.js';
import { handleDigest } from './handle-digest.js';
import { handleResync } from './handle-resync.js';
import { handleSnapshot } from './handle-snapshot.js';
import { sendError } from './inbox.js';

/**
 * Refuses an invalid message: counts it, logs a warning with the agent id, and tells the agent. Changes nothing.
 */
export function refuse(ctx: SyncContext, agentId: string, reason: string, detail: string): Promise<void> {
  ctx.metrics.invalidMessages.inc({ reason });
  ctx.logger.warn({ agentId, reason, detail: detail.slice(0, 300) }, 'invalid message refused');
  return sendError(ctx, agentId, 'invalid_message', detail);
}

/** Dispatches one validated advert message to its handler (one exhaustive switch). */
export function dispatch(ctx: SyncContext, agentId: string, message: AdvertMessage): Promise<void> {
  switch (message.type) {
    case 'advert-snapshot':
      return handleSnapshot(ctx, agentId, message);
    case 'advert-delta':
      return handleDelta(ctx, agentId, message);
    case 'advert-digest':
      return handleDigest(ctx, agentId, message);
    case 'resync-request':
      return handleResync(ctx, agentId, message);
    default: {
      const unreachable: never = message;
      return Promise.reject(new Error(`unhandled message ${JSON.stringify(unreachable)}`));
    }
  }
}

/**
 * The one ingress of agent adverts: validates the payload once with zod, then dispatches. Never throws and never
 * rejects, whatever the input; a message from an agent that is not connected (a late packet) is ignored.
 */
export async function handleAdvertPayload(
  ctx: SyncContext,
  topic: string,
  payload: Uint8Array,
): Promise<void> {
  const agentId = agentIdFromTopic(topic);
  if (!agentId) return;
  try {
    const decoded = decode(AdvertMessageSchema, payload);
    if (!decoded.ok) return await refuse(ctx, agentId, decoded.reason, decoded.error);
    if (!ctx.isConnected(agentId)) {
      ctx.logger.debug({ agentId, type: decoded.message.type }, 'advert from a disconnected agent ignored');
      return;
    }
    ctx.metrics.messagesReceived.inc({ type: decoded.message.type });
    await dispatch(ctx, agentId, decoded.message);
  } catch (err) {
    ctx.metrics.invalidMessages.inc({ reason: 'internal' });
    ctx.logger.error({ err, agentId }, 'advert handling failed');
  }
}
