import { once } from 'node:events';
import { createServer as createHttpServer, type RequestListener, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer, type AddressInfo, type Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import { getRequestListener } from '@hono/node-server';
import type { Hono } from 'hono';
import { sendAuthRefusal, type RequestAuth } from './auth/request-auth.js';
import type { TokenSockets } from './auth/token-sockets.js';
import type { BrokerLimits } from './broker/limits.js';
import type { SocketGuard } from './broker/socket-guard.js';
import type { CallGateway } from './calls/gateway.js';
import type { ControlPlaneOptions, ControlPlanePorts } from './control-plane-types.js';
import type { EventBus } from './event-bus.js';
import { attachWebSockets } from './http/upgrade.js';
import type { Logger } from './logger.js';
import type { ReportFeed } from './reports/report-feed.js';

/** What the listeners hand their connections to. */
export interface ListenerDeps {
  options: Pick<ControlPlaneOptions, 'tls' | 'mqttPort' | 'mqttsPort' | 'httpPort' | 'host' | 'httpHost'>;
  guard: SocketGuard;
  auth: RequestAuth;
  /** The registry of token-authenticated WebSockets (closed when their token is deleted). */
  tokenSockets: TokenSockets;
  gateway: CallGateway;
  app: Hono;
  bus: EventBus;
  logger: Logger;
  feed: ReportFeed;
  limits: BrokerLimits;
}

/** The control plane's sockets: MQTT (TCP, TLS), HTTP(S) with the API, gateway and WebSockets. */
export interface Listeners {
  /** Binds every listener; resolves with the bound ports. */
  listen(): Promise<ControlPlanePorts>;
  /** Clients of the event stream now. */
  eventViewers(): number;
  /** Stops accepting, drops WebSocket and HTTP clients; resolves when every server closed. */
  close(): Promise<void>;
}

async function listen(server: NetServer | HttpServer, port: number, host: string): Promise<number> {
  server.listen(port, host);
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([err]) => Promise.reject(err as Error)),
  ]);
  return (server.address() as AddressInfo).port;
}

function closeServer(server: NetServer | HttpServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * Creates the listeners (not yet bound). Every MQTT listener, TCP and TLS, hands its sockets to the same guard
 * (connect rate, packet size, pre-CONNECT bytes); WebSockets reach the same guard through http/upgrade.ts. On the
 * HTTP port bearer tokens are checked first (public routes pass), then `/call/...` goes to the gateway on plain
 * node:http streams (hono's request-body path is slow), and hono gets the rest.
 */
export function createListeners(deps: ListenerDeps): Listeners {
  const { options, guard, auth, gateway, app } = deps;
  const handleMqttSocket = (socket: Duplex): void => guard.guardSocket(socket);
  const plainMqtt = options.tls === undefined || options.mqttPort !== undefined;
  const mqttServer = plainMqtt ? createServer({ noDelay: true }, handleMqttSocket) : undefined;
  const tlsOptions = options.tls && {
    cert: options.tls.cert,
    key: options.tls.key,
    handshakeTimeout: 10_000,
  };
  const mqttsServer = tlsOptions && createTlsServer({ ...tlsOptions, noDelay: true }, handleMqttSocket);
  const honoListener = getRequestListener(app.fetch);
  const onRequest: RequestListener = (req, res) => {
    const decision = auth.check(req);
    if (!decision.ok) return sendAuthRefusal(req, res, decision);
    if (!gateway(req, res)) void honoListener(req, res);
  };
  const httpServer: HttpServer = tlsOptions
    ? createHttpsServer({ ...tlsOptions, noDelay: true }, onRequest)
    : createHttpServer(onRequest);
  const sockets = attachWebSockets(httpServer, {
    guard,
    auth,
    tokenSockets: deps.tokenSockets,
    bus: deps.bus,
    logger: deps.logger,
    feed: deps.feed,
    maxPacketBytes: deps.limits.maxPacketBytes,
  });
  return {
    listen: async () => {
      const host = options.host ?? '0.0.0.0';
      const ports: ControlPlanePorts = { http: 0 };
      if (mqttServer) ports.mqtt = await listen(mqttServer, options.mqttPort ?? 1883, host);
      if (mqttsServer) ports.mqtts = await listen(mqttsServer, options.mqttsPort ?? 8883, host);
      ports.http = await listen(httpServer, options.httpPort ?? 8080, options.httpHost ?? '127.0.0.1');
      return ports;
    },
    eventViewers: () => sockets.eventViewers(),
    close: async () => {
      sockets.close();
      const stopped = [mqttServer, mqttsServer, httpServer].flatMap((s) => (s ? [closeServer(s)] : []));
      httpServer.closeAllConnections();
      await Promise.all(stopped);
    },
  };
}
