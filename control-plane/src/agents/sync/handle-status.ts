import {
  AgentStatusSchema,
  agentVersionRefusal,
  decode,
  HUB_SUBSCRIPTIONS,
  type AgentStatus,
} from '@tether/shared';
import type { AgentTopic } from '../agent-topics.js';
import { announceAgent } from './announce-agent.js';
import type { SyncContext } from './context.js';
import { refuse } from './ingress.js';
import { sendError } from './inbox.js';

/**
 * An agent of a version this control plane does not accept (acceptedAgentVersions: its minor and one behind) is
 * told why and what to do (`error` `version_refused`), audited once, and disconnected; it stays registered, and
 * comes back once it runs an accepted build.
 */
function refuseVersion(ctx: SyncContext, agentId: string, version: string | undefined): void {
  const why = agentVersionRefusal(version, ctx.hubVersion);
  if (why === undefined) return;
  ctx.metrics.authFailures.inc({ reason: 'agent_version' });
  ctx.logger.warn({ agentId, version, hubVersion: ctx.hubVersion }, why);
  ctx.audit.recordOnce({
    kind: 'agent-version-refused',
    agentId,
    detail: { version, hubVersion: ctx.hubVersion },
  });
  void sendError(ctx, agentId, 'version_refused', why)
    .catch((err: unknown) => ctx.logger.debug({ agentId, err }, 'version refusal not delivered'))
    .then(() => ctx.disconnect?.(agentId));
}

/**
 * Agents' retained statuses: records version, strategy, site, labels and last_seen (in the next group commit).
 * Liveness itself comes from the broker's connection events, never from this message. An empty payload (a cleared
 * retained message) is skipped.
 */
export function statusTopic(ctx: SyncContext): AgentTopic<AgentStatus> {
  return {
    name: 'status',
    filter: HUB_SUBSCRIPTIONS.statuses,
    skip: (payload) => payload.byteLength === 0,
    decode: (payload) => decode(AgentStatusSchema, payload),
    refused: (agentId, reason, detail) => refuse(ctx, agentId, reason, detail),
    handle: (agentId, status) => {
      if (status.agentId !== agentId)
        return refuse(
          ctx,
          agentId,
          'agent_mismatch',
          `status for "${status.agentId}" on the topic of "${agentId}"`,
        );
      ctx.metrics.messagesReceived.inc({ type: status.type });
      const at = ctx.clock.now();
      ctx.commits.enqueue(
        () => ctx.agents.recordStatus(agentId, { ...status, at }),
        () => ctx.metrics.stages.time('status', () => announceAgent(ctx, agentId)),
      );
      if (status.status === 'online') refuseVersion(ctx, agentId, status.version);
    },
  };
}
