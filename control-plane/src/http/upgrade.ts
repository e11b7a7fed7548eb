import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Aedes } from 'aedes';
import { createWebSocketStream, WebSocketServer } from 'ws';
import type { EventBus } from '../event-bus.js';
import type { Logger } from '../logger.js';

/** The MQTT-over-WebSocket path. */
export const MQTT_WS_PATH = '/mqtt';
/** The live event stream path. */
export const EVENTS_WS_PATH = '/api/v1/events';

/** Both WebSocket endpoints of the HTTP port; `close` terminates their clients. */
export interface WebSocketEndpoints {
  close(): void;
}

function reject(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** Routes HTTP upgrades: `/mqtt` to the broker (MQTT over WebSocket), `/api/v1/events` to the event stream. */
export function attachWebSockets(
  server: Server,
  broker: Aedes,
  bus: EventBus,
  logger: Logger,
): WebSocketEndpoints {
  const mqtt = new WebSocketServer({ noServer: true });
  const events = new WebSocketServer({ noServer: true });

  mqtt.on('connection', (ws, req: IncomingMessage) => {
    const stream = createWebSocketStream(ws);
    stream.on('error', (err) => logger.debug({ err: err.message }, 'mqtt websocket error'));
    broker.handle(stream, req);
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
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const target = path === MQTT_WS_PATH ? mqtt : path === EVENTS_WS_PATH ? events : undefined;
    if (!target) return reject(socket, 404, 'Not Found');
    (socket as Socket).setNoDelay?.(true);
    target.handleUpgrade(req, socket, head, (ws) => target.emit('connection', ws, req));
  });

  return {
    close() {
      for (const wss of [mqtt, events]) {
        for (const client of wss.clients) client.terminate();
        wss.close();
      }
    },
  };
}
