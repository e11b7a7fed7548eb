/** What an operator needs to tell apart about an agent, most telling first. */
export const AGENT_STATES = ['revoked', 'online', 'stale', 'offline'] as const;
/** One agent state: revoked (cut off for good), online, stale (offline, routes kept), offline. */
export type AgentState = (typeof AGENT_STATES)[number];

/** What each state means, for legends and help (the dashboard and the CLI say the same). */
export const AGENT_STATE_MEANING: Readonly<Record<AgentState, string>> = {
  online: 'connected now',
  stale: 'disconnected; its routes are kept (stale) until the grace period ends',
  offline: 'disconnected; no route kept',
  revoked: 'cut off for good: refused at every connect, its routes withdrawn',
};

/** An agent's state from its view: revoked wins, then the connection, then whether stale routes are kept. */
export function agentState(agent: {
  status: 'online' | 'offline';
  revokedAt: string | number | null;
  staleRoutes: number;
}): AgentState {
  if (agent.revokedAt !== null) return 'revoked';
  if (agent.status === 'online') return 'online';
  return agent.staleRoutes > 0 ? 'stale' : 'offline';
}
