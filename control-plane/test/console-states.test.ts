import { describe, expect, it } from 'vitest';
import { agentState } from '../src/api/agent-state.js';
import { instanceStatus } from '../src/api/instance-status.js';

describe('agentState', () => {
  it.each([
    [{ status: 'online', revokedAt: null, staleRoutes: 0 }, 'online'],
    [{ status: 'offline', revokedAt: null, staleRoutes: 2 }, 'stale'],
    [{ status: 'offline', revokedAt: null, staleRoutes: 0 }, 'offline'],
    [{ status: 'offline', revokedAt: '2026-12-05T01:00:00.000Z', staleRoutes: 0 }, 'revoked'],
    [{ status: 'online', revokedAt: 1, staleRoutes: 3 }, 'revoked'],
  ] as const)('%o is %s', (agent, state) => {
    expect(agentState(agent)).toBe(state);
  });
});

describe('instanceStatus', () => {
  it.each([
    [{ state: 'active', health: 'healthy', consecutiveFailures: 0 }, 'healthy'],
    [{ state: 'active', health: 'healthy', consecutiveFailures: 1 }, 'failing'],
    [{ state: 'active', health: 'ejected', consecutiveFailures: 3 }, 'ejected'],
    [{ state: 'active', health: 'half-open', consecutiveFailures: 3 }, 'half-open'],
    // A disconnected agent's instance is unreachable even when its last calls succeeded.
    [{ state: 'stale', health: 'healthy', consecutiveFailures: 0 }, 'unreachable'],
    [{ state: 'stale', health: 'ejected', consecutiveFailures: 5 }, 'unreachable'],
  ] as const)('%o is %s', (instance, status) => {
    expect(instanceStatus(instance)).toBe(status);
  });
});
