import { AgentStatusSchema, agentIdFromTopic, decode } from '@tether/shared';
import { announceAgent } from './announce-agent.js';
import type { SyncContext } from './context.js';
import { refuse } from './ingress.js';

/**
 * A retained agent-status: records version, strategy, site, labels and last_seen. Liveness itself comes from the
 * broker's connection events, never from this message. An empty payload (a cleared retained message) is ignored.
 */
export async function handleStatusPayload(
  ctx: SyncContext,
  topic: string,
  payload: Uint8Array,
): Promise<void> {
  const agentId = agentIdFromTopic(topic);
  if (!agentId || payload.byteLength === 0) return;
  try {
    const decoded = decode(AgentStatusSchema, payload);
    if (!decoded.ok) return await refuse(ctx, agentId, decoded.reason, decoded.error);
    const status = decoded.message;
    if (status.agentId !== agentId) {
      return await refuse(
        ctx,
        agentId,
        'agent_mismatch',
        `status for "${status.agentId}" on the topic of "${agentId}"`,
      );
    }
    ctx.metrics.messagesReceived.inc({ type: status.type });
    ctx.agents.recordStatus(agentId, { ...status, at: ctx.clock.now() });
    announceAgent(ctx, agentId);
  } catch (err) {
    ctx.metrics.invalidMessages.inc({ reason: 'internal' });
    ctx.logger.error({ err, agentId }, 'status handling failed');
  }
}
