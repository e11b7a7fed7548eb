import type { AdvertResume, RouteEvent } from '@tether/shared';
import { announceAgent } from './announce-agent.js';
import { agentGone } from './agent-gone.js';
import type { SyncContext } from './context.js';
import { requestResync } from './inbox.js';
import { positionMismatch } from './position-mismatch.js';

type ResumeOutcome =
  | { type: 'gone' }
  | { type: 'resync'; reason: string }
  | { type: 'resumed'; events: RouteEvent[]; at: number };

/**
 * An agent back after a reconnect, unchanged (protocol 3): when the stored routes of the agent are where it says
 * its advertised set stands, they are active again and its position and identity recorded, in the next group
 * commit, without a snapshot (its stale routes made active with one statement, its row updated: nothing else is
 * written); the replica holding its socket then answers with an empty `agent-routes` delta in the
 * agent's central epoch (or a full one when the central routes it holds differ). Otherwise the agent is asked
 * for a snapshot.
 */
export function handleResume(ctx: SyncContext, agentId: string, message: AdvertResume): void {
  const { stages } = ctx.metrics;
  const { epoch, seq, strategy, site, labels } = message;
  ctx.commits.enqueue(
    (): ResumeOutcome => {
      if (agentGone(ctx, agentId)) return { type: 'gone' };
      const mismatch = positionMismatch(ctx.agents.get(agentId), ctx.table, message, strategy);
      if (mismatch) return { type: 'resync', reason: `resume refused: ${mismatch}` };
      const at = ctx.clock.now();
      // In sync: the stored routes are the agent's, as they are; only the stale ones are written (one statement).
      const events = ctx.table.reactivateOrigin(agentId);
      ctx.agents.recordSnapshot(agentId, { epoch, seq, strategy, site, labels, at });
      return { type: 'resumed', events, at };
    },
    (outcome) => {
      switch (outcome.type) {
        case 'gone':
          stages.resumed('dropped');
          return ctx.logger.debug({ agentId }, 'resume of a disconnected agent dropped');
        case 'resync':
          stages.resumed('resync');
          return void requestResync(ctx, agentId, outcome.reason);
        case 'resumed':
          stages.resumed('in-sync');
          stages.time('events', () => {
            ctx.bus.emitRouteEvents(outcome.events);
            if (message.outbox) ctx.telemetry.recordOutbox(agentId, message.outbox, outcome.at);
            announceAgent(ctx, agentId);
          });
          return stages.time(
            'answer',
            () => void ctx.distribution.resume(agentId, { id: agentId, site, labels }, message.central),
          );
        default: {
          const unreachable: never = outcome;
          return unreachable;
        }
      }
    },
  );
}
