import {
  forwardableList,
  limitBody,
  MAX_HOPS,
  prepareBody,
  TooManyHopsError,
  ValidationError,
  type CallHandler,
} from '@tether/shared';
import type { AgentStore } from '../store/agent-store.js';
import type { CallRouter } from './call-router.js';

/** What serving an agent's calls needs. */
export interface EdgeCallDeps {
  router: CallRouter;
  agents: AgentStore;
  maxBodyBytes: number;
}

/**
 * Serves the calls agent `agentId` sends up its tunnel (edge -> central): routed like gateway calls with the
 * authenticated agent id as caller (the REQUEST's own `caller` is not trusted); the hop count carries on.
 */
export function edgeCallHandler(agentId: string, deps: EdgeCallDeps): CallHandler {
  return async (call) => {
    const head = call.head;
    if (head.hops > MAX_HOPS) throw new TooManyHopsError(`a call may pass at most ${MAX_HOPS} proxies`);
    // The agent's own proxy counted itself: a call up the tunnel has passed at least one.
    if (head.hops < 1) throw new ValidationError('a call from an agent has passed its proxy: hops >= 1');
    const site = deps.agents.get(agentId)?.site ?? undefined;
    const body = head.body
      ? await prepareBody(limitBody(call.body, deps.maxBodyBytes), deps.maxBodyBytes)
      : ({ kind: 'none' } as const);
    return deps.router.route({
      service: head.service,
      method: head.method,
      path: head.path,
      query: head.query,
      headers: forwardableList(head.headers),
      caller: { kind: 'edge', id: agentId, ...(site ? { site } : {}) },
      callerHeader: agentId,
      hops: head.hops,
      timeoutMs: head.timeoutMs,
      body,
      signal: call.signal,
    });
  };
}
