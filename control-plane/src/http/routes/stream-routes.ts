import { createWebSocketStream } from 'ws';
import { defineRoute } from '@tether/shared';
import type { SocketGuard } from '../../broker/socket-guard.js';
import type { EventBus } from '../../observability/event-bus.js';
import type { EventLog } from '../../observability/event-log.js';
import type { Logger } from '../../observability/logger.js';
import { ControlPlaneEventSchema, TimedEventSchema } from '../../api/api-schemas.js';
import { coalescedSender } from '../coalesced-sender.js';
import type { WebSocketEndpoints } from '../websockets.js';
import { json, list, type ApiRoute } from './api-route.js';

/** What the WebSocket streams need. */
export interface StreamRoutesDeps {
  sockets: WebSocketEndpoints;
  /** Where MQTT-over-WebSocket connections go: through the same guards as TCP. */
  guard: SocketGuard;
  /** The MQTT packet size limit: one WebSocket message may not be much larger. */
  maxPacketBytes: number;
  bus: EventBus;
  /** The recent events kept in memory (the overview preloads them). */
  events: EventLog;
  logger: Logger;
}

/**
 * The streams of the HTTP port: `/mqtt` for agents (public: they authenticate in CONNECT), the event stream and
 * the recent events it sent.
 */
export function streamRoutes(deps: StreamRoutesDeps): { routes: ApiRoute[]; eventViewers: () => number } {
  const mqtt = deps.sockets.endpoint({ maxPayload: 2 * deps.maxPacketBytes }, (ws, req) => {
    const stream = createWebSocketStream(ws);
    stream.on('error', (err) => deps.logger.debug({ err: err.message }, 'mqtt websocket error'));
    deps.guard.guardSocket(stream, req);
  });
  const events = deps.sockets.endpoint({ tetherProtocol: true }, (ws, _req, _query, socket) => {
    // A group commit emits every route of every agent it committed in one turn: one write for all of them.
    const send = coalescedSender(ws, socket);
    const stop = deps.bus.subscribe((event) => send(JSON.stringify(event)));
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
      defineRoute({
        method: 'get',
        path: '/api/v1/events/recent',
        access: 'read',
        tag: 'events',
        summary:
          'The last 100 events of the stream (stats excepted), newest first, kept in memory since start',
        responses: { 200: json('events', list('events', TimedEventSchema)) },
        handle: (c) => c.json({ events: deps.events.recentAll() }),
      }),
    ],
  };
}
