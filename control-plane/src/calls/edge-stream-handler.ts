import {
  joinIncoming,
  MAX_HOPS,
  TooManyHopsError,
  ValidationError,
  type IncomingStream,
  type OpenRequest,
  type StreamHandler,
} from '@tether/shared';
import type { AgentStore } from '../store/agent-store.js';
import type { StreamRouter } from './stream-router.js';

/** What serving an agent's streams needs. */
export interface EdgeStreamDeps {
  streams: StreamRouter;
  agents: AgentStore;
}

/** The OPEN's head without its deadline, with the authenticated agent as caller. */
function asRequest(incoming: IncomingStream, agentId: string): OpenRequest {
  const { timeoutMs: _deadline, ...head } = incoming.head;
  return { ...head, caller: agentId };
}

/**
 * Serves the streams agent `agentId` opens up its tunnel (an edge app on its `--listen` port or its `/call`
 * upgrade): routed as the agent's calls are, with the authenticated agent id as caller (the OPEN's own `caller` is
 * not trusted) and the hop count carried on, checked at open. Refused streams tell the agent why.
 */
export function edgeStreamHandler(agentId: string, deps: EdgeStreamDeps): StreamHandler {
  return (incoming) => {
    const { hops, timeoutMs } = incoming.head;
    if (hops > MAX_HOPS)
      return incoming.refuse(new TooManyHopsError(`a stream may pass at most ${MAX_HOPS} proxies`));
    // The agent's own listener or proxy counted itself.
    if (hops < 1)
      return incoming.refuse(new ValidationError('a stream from an agent has passed its proxy: hops >= 1'));
    const site = deps.agents.get(agentId)?.site ?? undefined;
    deps.streams
      .open({
        head: asRequest(incoming, agentId),
        caller: { kind: 'edge', id: agentId, ...(site ? { site } : {}) },
        timeoutMs,
        signal: incoming.signal,
      })
      .then(
        (far) => joinIncoming(incoming, far),
        (err: unknown) => incoming.refuse(err instanceof Error ? err : new Error(String(err))),
      );
  };
}
