import { AdvertMessageSchema, decode, HUB_SUBSCRIPTIONS, type AdvertMessage } from '@tether/shared';
import type { AgentTopic } from '../agent-topics.js';
import type { SyncContext } from './context.js';
import { handleDelta } from './handle-delta.js';
import { handleDigest } from './handle-digest.js';
import { handleResume } from './handle-resume.js';
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
export function dispatch(ctx: SyncContext, agentId: string, message: AdvertMessage): void {
  switch (message.type) {
    case 'advert-snapshot':
      return handleSnapshot(ctx, agentId, message);
    case 'advert-delta':
      return handleDelta(ctx, agentId, message);
    case 'advert-digest':
      return handleDigest(ctx, agentId, message);
    case 'advert-resume':
      return handleResume(ctx, agentId, message);
    case 'resync-request':
      return handleResync(ctx, agentId, message);
    default: {
      const unreachable: never = message;
      throw new Error(`unhandled message ${JSON.stringify(unreachable)}`);
    }
  }
}

/** Agents' adverts (route sync): from a connected agent only (a late packet of a dropped connection is ignored). */
export function advertTopic(ctx: SyncContext): AgentTopic<AdvertMessage> {
  return {
    name: 'advert',
    filter: HUB_SUBSCRIPTIONS.adverts,
    decode: (payload) => decode(AdvertMessageSchema, payload),
    refused: (agentId, reason, detail) => refuse(ctx, agentId, reason, detail),
    handle: (agentId, message) => {
      if (!ctx.isConnected(agentId)) {
        ctx.logger.debug({ agentId, type: message.type }, 'advert from a disconnected agent ignored');
        return;
      }
      ctx.metrics.messagesReceived.inc({ type: message.type });
      dispatch(ctx, agentId, message);
    },
  };
}
