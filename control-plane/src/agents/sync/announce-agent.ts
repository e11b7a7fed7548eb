import { agentView } from '../../api/views.js';
import type { SyncContext } from './context.js';

/** Emits `agent-updated` with the agent's current view (after its identity, routes or figures changed). */
export function announceAgent(ctx: SyncContext, agentId: string): void {
  const agent = ctx.agents.get(agentId);
  if (agent) ctx.bus.emit({ type: 'agent-updated', agent: agentView(agent, ctx.table, ctx.telemetry) });
}
