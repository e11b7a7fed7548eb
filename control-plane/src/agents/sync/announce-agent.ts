import { agentView } from '../../api/views.js';
import type { SyncContext } from './context.js';

type AnnounceContext = Pick<SyncContext, 'agents' | 'bus' | 'table' | 'telemetry' | 'metrics'>;

/** Per context, the agents to announce once the current task is done. */
const pending = new WeakMap<AnnounceContext, Set<string>>();

/**
 * Emits `agent-updated` with the agent's current view (after its identity, routes or figures changed), once the
 * current task is done: the announcements of one group commit's reactions (an agent's status and its snapshot, in
 * the same slice) become one event per agent, with the view as it stands after all of them.
 */
export function announceAgent(ctx: AnnounceContext, agentId: string): void {
  let ids = pending.get(ctx);
  if (!ids) {
    const queued = new Set<string>();
    pending.set(ctx, (ids = queued));
    queueMicrotask(() => {
      pending.delete(ctx);
      ctx.metrics.stages.time('events', () => {
        for (const id of queued) {
          const agent = ctx.agents.get(id);
          if (agent)
            ctx.bus.emit({ type: 'agent-updated', agent: agentView(agent, ctx.table, ctx.telemetry) });
        }
      });
    });
  }
  ids.add(agentId);
}
