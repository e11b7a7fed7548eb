import {
  dialService,
  joinIncoming,
  MAX_HOPS,
  RouteNotFoundError,
  routesSpeaking,
  TooManyHopsError,
  type RouteTable,
  type ServiceIo,
  type StreamHandler,
} from '@tether/shared';

/** What serving streams from the hub needs. */
export interface TunnelStreamDeps {
  /** This agent's id: the origin of its own routes. */
  id: string;
  table: RouteTable;
  io: ServiceIo;
}

/**
 * Serves the streams the hub opens down the tunnel (a client of a control-plane listener, a WebSocket through the
 * gateway, another edge's stream a policy allowed): connects to the local instance the hub chose when it is one of
 * this agent's own active routes speaking the stream's protocol (else the first such route), TCP or an HTTP
 * Upgrade, and splices the two. Refused (and the opener told why) when the hop count is over the limit or no local
 * instance speaks the protocol.
 */
export function tunnelStreamHandler(deps: TunnelStreamDeps): StreamHandler {
  return (incoming) => {
    const head = incoming.head;
    if (head.hops > MAX_HOPS)
      return incoming.refuse(new TooManyHopsError(`a stream may pass at most ${MAX_HOPS} proxies`));
    let address: string | undefined;
    try {
      const own = deps.table
        .list({ service: head.service, origin: deps.id })
        .filter((r) => r.state === 'active');
      const speaking = routesSpeaking(own, head.protocol);
      address = (speaking.find((r) => r.address === head.target) ?? speaking[0])?.address;
      if (address === undefined) throw new RouteNotFoundError(head.service);
    } catch (err) {
      return incoming.refuse(err as Error);
    }
    dialService(head, address, deps.io, incoming.signal).then(
      (far) => joinIncoming(incoming, far),
      (err: unknown) => incoming.refuse(err instanceof Error ? err : new Error(String(err))),
    );
  };
}
