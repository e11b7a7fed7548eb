import { createWebSocketStream } from 'ws';
import type { SocketGuard } from '../../broker/socket-guard.js';
import type { EventBus } from '../../observability/event-bus.js';
import type { Logger } from '../../observability/logger.js';
import { ControlPlaneEventSchema } from '../../api/api-schemas.js';
import type { WebSocketEndpoints } from '../websockets.js';
import { json, type ApiRoute } from './api-route.js';

/** What the WebSocket streams need. */
export interface StreamRoutesDeps {
  sockets: WebSocketEndpoints;
  /** Where MQTT-over-WebSocket connections go: through the same guards as TCP. */
  guard: SocketGuard;
  /** The MQTT packet size limit: one WebSocket message may not be much larger. */
  maxPacketBytes: number;
  bus: EventBus;
  logger: Logger;
}

/** The streams of the HTTP port: `/mqtt` for agents (public: they authenticate in CONNECT) and the event stream. */
export function streamRoutes(deps: StreamRoutesDeps): { routes: ApiRoute[]; eventViewers: () => number } {
  const mqtt = deps.sockets.endpoint({ maxPayload: 2 * deps.maxPacketBytes }, (ws, req) => {
    const stream = createWebSocketStream(ws);
    stream.on('error', (err) => deps.logger.debug({ err: err.message }, 'mqtt websocket error'));
    deps.guard.guardSocket(stream, req);
  });
  const events = deps.sockets.endpoint({ tetherProtocol: true }, (ws) => {
    const stop = deps.bus.subscribe((event) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(event));
    });
    ws.on('close', stop);
    ws.on('error', stop);
  });
  return {
    eventViewers: events.clients,
    routes: [
      {
        serve: 'websocket',
        method: 'get',
        path: '/mqtt',
        access: 'public',
        tag: 'system',
        summary:
          'MQTT over WebSocket for agents (they authenticate in CONNECT); the same limits as MQTT over TCP',
        responses: { 101: { description: 'switching to WebSocket (subprotocol mqtt)' } },
        handle: mqtt.accept,
      },
      {
        serve: 'websocket',
        method: 'get',
        path: '/api/v1/events',
        access: 'read',
        tag: 'events',
        summary:
          'WebSocket: one JSON frame per event (routes, agents, policies, and a stats frame every 2 s)',
        description:
          'Upgrade with subprotocol `tether.v1` (a `bearer.<token>` subprotocol may carry the token); the server ' +
          'answers `tether.v1`. The 101 schema below is the schema of one frame.',
        responses: { 101: json('switching to WebSocket; each frame is one event', ControlPlaneEventSchema) },
        handle: events.accept,
      },
    ],
  };
}
