import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { ReportStreamSchema } from '@tether/shared';
import { rejectUpgrade, WS_PROTOCOL, type RequestAuth } from '../auth/request-auth.js';
import type { TokenSockets } from '../auth/token-sockets.js';
import type { SocketGuard } from '../broker/socket-guard.js';
import type { EventBus } from '../event-bus.js';
import type { Logger } from '../logger.js';
import type { ReportFeed } from '../reports/report-feed.js';
import { reportView } from '../reports/report-views.js';

/** The MQTT-over-WebSocket path. */
export const MQTT_WS_PATH = '/mqtt';
/** The live event stream path. */
export const EVENTS_WS_PATH = '/api/v1/events';
/** The live tail of committed reports (`?stream=&agent=` narrow it). */
export const REPORTS_LIVE_WS_PATH = '/api/v1/reports/live';
/** A live-tail client further behind than this many bytes is dropped rather than buffered without bound. */
const LIVE_MAX_BUFFERED = 8 * 1024 * 1024;

/** The WebSocket endpoints of the HTTP port; `close` terminates their clients. */
export interface WebSocketEndpoints {
  /** Clients of the event stream now. */
  eventViewers(): number;
  close(): void;
}

function reject(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** What the WebSocket endpoints need. */
export interface WebSocketDeps {
  /** Where MQTT-over-WebSocket connections go (through the same guards as TCP). */
  guard: SocketGuard;
  /** Bearer-token checks of the event and report streams. */
  auth: RequestAuth;
  /** Where token-authenticated sockets are registered, to be closed when their token is deleted. */
  tokenSockets: TokenSockets;
  bus: EventBus;
  logger: Logger;
  feed: ReportFeed;
  /** The MQTT packet size limit: one WebSocket message may not be much larger. */
  maxPacketBytes: number;
}

/**
 * Picks `tether.v1` when the client offers it (browsers also offer `bearer.<token>` to carry a credential, which
 * is never echoed back); other offers get no subprotocol.
 */
export function chooseProtocol(offered: Set<string>): string | false {
  return offered.has(WS_PROTOCOL) ? WS_PROTOCOL : false;
}

/**
 * Routes HTTP upgrades: `/mqtt` to the broker (MQTT over WebSocket, agents authenticate in CONNECT),
 * `/api/v1/events` to the event stream and `/api/v1/reports/live` to the live tail of reports (one JSON frame
 * per committed report); both need a bearer token (`Authorization` or a `bearer.<token>` subprotocol), checked
 * at the upgrade, and are closed with 4401 "token revoked" when that token is deleted (see TokenSockets).
 */
export function attachWebSockets(server: Server, deps: WebSocketDeps): WebSocketEndpoints {
  const { bus, logger, feed } = deps;
  const mqtt = new WebSocketServer({ noServer: true, maxPayload: 2 * deps.maxPacketBytes });
  const events = new WebSocketServer({ noServer: true, handleProtocols: chooseProtocol });
  const live = new WebSocketServer({ noServer: true, handleProtocols: chooseProtocol });

  live.on('connection', (ws, req: IncomingMessage) => {
    const params = new URL(req.url ?? '/', 'http://localhost').searchParams;
    const stream = params.get('stream');
    const agent = params.get('agent');
    const stop = feed.subscribe((report) => {
      if ((stream && report.stream !== stream) || (agent && report.agent !== agent)) return;
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > LIVE_MAX_BUFFERED) {
        ws.close(1013, 'too far behind');
        return;
      }
      ws.send(JSON.stringify(reportView(report)));
    });
    ws.on('close', stop);
    ws.on('error', stop);
  });

  mqtt.on('connection', (ws, req: IncomingMessage) => {
    const stream = createWebSocketStream(ws);
    stream.on('error', (err) => logger.debug({ err: err.message }, 'mqtt websocket error'));
    deps.guard.guardSocket(stream, req);
  });

  events.on('connection', (ws) => {
    const stop = bus.subscribe((event) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(event));
    });
    ws.on('close', stop);
    ws.on('error', stop);
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const target =
      path === MQTT_WS_PATH
        ? mqtt
        : path === EVENTS_WS_PATH
          ? events
          : path === REPORTS_LIVE_WS_PATH
            ? live
            : undefined;
    if (!target) return reject(socket, 404, 'Not Found');
    const decision = deps.auth.check(req);
    if (!decision.ok) return rejectUpgrade(socket, decision);
    const stream = url.searchParams.get('stream');
    if (target === live && stream && !ReportStreamSchema.safeParse(stream).success)
      return reject(socket, 400, 'Bad Request');
    (socket as Socket).setNoDelay?.(true);
    const principal = decision.principal; // none on /mqtt (public: agents authenticate in CONNECT)
    target.handleUpgrade(req, socket, head, (ws) => {
      if (principal) ws.once('close', deps.tokenSockets.add(principal.id, ws));
      target.emit('connection', ws, req);
    });
  });

  return {
    eventViewers: () => events.clients.size,
    close() {
      for (const wss of [mqtt, events, live]) {
        for (const client of wss.clients) client.terminate();
        wss.close();
      }
    },
  };
}
