import { takePage, type KeysetPage, type RouteTable } from '@tether/shared';
import type { AgentRecord, AgentStore } from '../store/agent-store.js';
import { agentState, type AgentState } from './agent-state.js';
import type { AgentView } from './api-schemas.js';
import { agentView, type TelemetrySource } from './views.js';

/** Which agents a page selects; every given field must match. */
export interface AgentFilter {
  status?: 'online' | 'offline' | undefined;
  state?: AgentState | undefined;
  site?: string | undefined;
}

/** What a page of agents reads. */
export interface AgentPageDeps {
  agents: AgentStore;
  table: RouteTable;
  telemetry: TelemetrySource;
}

/** The state of a stored agent (its stale routes counted from the route index only when the state asks). */
export function recordState(agent: AgentRecord, table: RouteTable): AgentState {
  const staleRoutes =
    agent.revokedAt === null && agent.status === 'offline'
      ? table.count({ origin: agent.id, state: 'stale' })
      : 0;
  return agentState({ status: agent.status, revokedAt: agent.revokedAt, staleRoutes });
}

/** Whether a stored agent matches the filter. */
export function agentMatches(agent: AgentRecord, filter: AgentFilter, table: RouteTable): boolean {
  return (
    (filter.status === undefined || agent.status === filter.status) &&
    (filter.site === undefined || agent.site === filter.site) &&
    (filter.state === undefined || recordState(agent, table) === filter.state)
  );
}

/**
 * One page of agents in id order after the id `after`: at most `limit` views and the id to go on after (null at
 * the end). Read from the primary key (no OFFSET), so it costs the page plus the rows a filter walks past.
 */
export function agentPage(
  deps: AgentPageDeps,
  filter: AgentFilter,
  after: string | undefined,
  limit: number,
): KeysetPage<AgentView> {
  const page = takePage(deps.agents.after(after), (a) => agentMatches(a, filter, deps.table), limit);
  return { items: page.items.map((a) => agentView(a, deps.table, deps.telemetry)), next: page.next };
}
