import type { AdvertDigest, OutboxStats } from '@tether/shared';
import { announceAgent } from './announce-agent.js';
import type { SyncContext } from './context.js';
import { requestResync } from './inbox.js';
import { positionMismatch } from './position-mismatch.js';

function sameOutbox(a: OutboxStats | undefined, b: OutboxStats): boolean {
  return (
    a !== undefined &&
    a.depth === b.depth &&
    a.bytes === b.bytes &&
    a.dropped === b.dropped &&
    (a.oldestAgeMs === null) === (b.oldestAgeMs === null)
  );
}

/**
 * An advert digest: records the outbox figures it carries (announcing the agent when they changed); when the
 * sync position or the digest of the stored routes differs (as stored by the next group commit, after what was
 * queued before it), asks for a resync.
 */
export function handleDigest(ctx: SyncContext, agentId: string, message: AdvertDigest): void {
  let changed = false;
  if (message.outbox) {
    changed = !sameOutbox(ctx.telemetry.get(agentId)?.outbox, message.outbox);
    ctx.telemetry.recordOutbox(agentId, message.outbox, ctx.clock.now());
  }
  ctx.commits.enqueue(
    () => positionMismatch(ctx.agents.get(agentId), ctx.table, message),
    (mismatch) => {
      if (changed) announceAgent(ctx, agentId);
      if (mismatch)
        void requestResync(
          ctx,
          agentId,
          mismatch === 'position mismatch' ? 'digest position mismatch' : mismatch,
        );
    },
  );
}
