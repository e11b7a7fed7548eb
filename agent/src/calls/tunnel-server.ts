import {
  callErrorStatus,
  onBodyEnd,
  RouteNotFoundError,
  routesSpeaking,
  upstreamHeaders,
  forwardHttp,
  type CallHandler,
  type IncomingCall,
  type OutgoingResponse,
  type RouteTable,
  type UpstreamClient,
} from '@tether/shared';

/** What serving calls from the hub needs. */
export interface TunnelServerDeps {
  /** This agent's id: the origin of its own routes. */
  id: string;
  table: RouteTable;
  upstream: UpstreamClient;
  /** Told when a call starts; the function it returns gets the final status. */
  observe?: (service: string) => (status: number) => void;
}

/**
 * Serves REQUESTs arriving down the tunnel: calls the local instance of the service (the route the hub chose when
 * it is one of this agent's own, else the first active own route) over node:http, streaming both ways; the call's
 * signal (CANCEL, deadline, link loss) aborts the local request.
 */
export function tunnelCallHandler(deps: TunnelServerDeps): CallHandler {
  return async (call) => {
    const done = deps.observe?.(call.head.service);
    if (!done) return serve(deps, call);
    try {
      const res = await serve(deps, call);
      if (!res.body) done(res.status);
      if (!res.body) return res;
      return { status: res.status, headers: res.headers, body: onBodyEnd(res.body, () => done(res.status)) };
    } catch (err) {
      done(callErrorStatus(err));
      throw err;
    }
  };
}

/** Calls the local instance of the service the hub asked for (not async: one promise fewer per call). */
function serve(deps: TunnelServerDeps, call: IncomingCall): Promise<OutgoingResponse> {
  const head = call.head;
  const active = deps.table.list({ service: head.service, origin: deps.id, state: 'active' });
  // A TCP instance is never called over HTTP (WrongProtocolError when the service has only those).
  const own = routesSpeaking(active, 'http');
  const route = own.find((r) => r.address === head.target) ?? own[0];
  if (!route) return Promise.reject(new RouteNotFoundError(head.service));
  return forwardHttp(
    {
      baseUrl: route.address,
      method: head.method,
      path: head.path,
      query: head.query,
      headers: upstreamHeaders(head),
      body: head.body ? call.body : undefined,
      signal: call.signal,
    },
    deps.upstream,
  );
}
