import { once } from 'node:events';
import { createServer as createHttpServer, type RequestListener, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer, type AddressInfo, type Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import { ListenError, type FrontDoor } from '@tether/shared';
import type { SocketGuard } from '../broker/socket-guard.js';
import { mqttsContext, startTlsHandshake } from '../tls/tls-handshake.js';

/** Where the control plane listens. */
export interface ListenerOptions {
  /** Plain MQTT/TCP port. Without `tls` it defaults to 1883; with `tls` there is no plain listener unless set. */
  mqttPort?: number;
  httpPort?: number;
  /** Certificate and key (PEM): MQTT over TLS on `mqttsPort`, and the HTTP port serves HTTPS (and wss). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** MQTT over TLS port, with `tls` (default 8883). */
  mqttsPort?: number;
  /** MQTT listen address (default 0.0.0.0: agents dial in from anywhere). */
  host?: string;
  /** HTTP listen address (default 127.0.0.1). */
  httpHost?: string;
}

/** The bound ports: `mqtt` (plain TCP) and `mqtts` only when listening. */
export interface ListeningPorts {
  mqtt?: number;
  mqtts?: number;
  http: number;
}

/** What the listeners hand their connections to. */
export interface ListenerDeps {
  options: ListenerOptions;
  guard: SocketGuard;
  /** Every HTTP request and upgrade of the HTTP port. */
  frontDoor: FrontDoor;
  /** The WebSockets the front door accepted: terminated on close. */
  sockets: { close(): void };
}

/** The control plane's sockets: MQTT (TCP, TLS), HTTP(S) with the API, gateway and WebSockets. */
export interface Listeners {
  /** Binds every listener; resolves with the bound ports. */
  listen(): Promise<ListeningPorts>;
  /** Stops accepting, drops WebSocket and HTTP clients; resolves when every server closed. */
  close(): Promise<void>;
}

/** Which listener a bind failure concerns (its ListenError names it; the CLI names the flag that sets it). */
export type ListenerName = 'http' | 'mqtt' | 'mqtts';

/**
 * Connections the kernel completes for a listener before we accept them (capped by net.core.somaxconn, 4096 on
 * current kernels). Node's default, 511, overflows within a second of a reconnect storm while one event-loop turn
 * runs: the kernel then drops the handshakes it cannot queue, and the clients retry after 1, 2, 4 ... 32 s of SYN
 * backoff, which made a storm's last agents arrive a minute after the rest.
 */
const LISTEN_BACKLOG = 4096;

async function listen(
  name: ListenerName,
  server: NetServer | HttpServer,
  port: number,
  host: string,
): Promise<number> {
  server.listen({ port, host, backlog: LISTEN_BACKLOG });
  try {
    await Promise.race([
      once(server, 'listening'),
      once(server, 'error').then(([err]) => Promise.reject(err as Error)),
    ]);
  } catch (err) {
    throw new ListenError(name, host, port, err);
  }
  return (server.address() as AddressInfo).port;
}

function closeServer(server: NetServer | HttpServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * Creates the listeners (not yet bound). Every MQTT listener, TCP and TLS, hands its sockets to the same guard
 * (connect rate, packet size, pre-CONNECT bytes); MQTT over WebSocket reaches the same guard through its route.
 * The mqtts listener is a plain TCP server that does not read its sockets: the guard admits one (rates, the cap on
 * handshakes) before its TLS handshake starts, so a refused connect costs no handshake.
 * Every request and upgrade of the HTTP port goes through the front door (http/route-table.ts).
 */
export function createListeners(deps: ListenerDeps): Listeners {
  const { options, guard, frontDoor } = deps;
  const handleMqttSocket = (socket: Duplex): void => guard.guardSocket(socket);
  const plainMqtt = options.tls === undefined || options.mqttPort !== undefined;
  // Not read until the guard hands the socket to aedes (paced: SocketGuard), so a storm's CONNECTs wait in the kernel.
  const mqttServer = plainMqtt
    ? createServer({ noDelay: true, pauseOnConnect: true }, handleMqttSocket)
    : undefined;
  const tlsOptions = options.tls && {
    cert: options.tls.cert,
    key: options.tls.key,
    handshakeTimeout: 10_000,
  };
  const handshake = options.tls && startTlsHandshake(mqttsContext(options.tls));
  const mqttsServer =
    handshake &&
    createServer({ noDelay: true, pauseOnConnect: true }, (raw) => guard.guardTlsSocket(raw, handshake));
  const onRequest: RequestListener = frontDoor.request;
  const httpServer: HttpServer = tlsOptions
    ? createHttpsServer({ ...tlsOptions, noDelay: true }, onRequest)
    : createHttpServer(onRequest);
  httpServer.on('upgrade', frontDoor.upgrade);
  return {
    listen: async () => {
      // Before the first socket can arrive: the first request after a restart lands in the reconnect storm.
      await frontDoor.warm();
      const host = options.host ?? '0.0.0.0';
      const ports: ListeningPorts = { http: 0 };
      if (mqttServer) ports.mqtt = await listen('mqtt', mqttServer, options.mqttPort ?? 1883, host);
      if (mqttsServer) ports.mqtts = await listen('mqtts', mqttsServer, options.mqttsPort ?? 8883, host);
      ports.http = await listen(
        'http',
        httpServer,
        options.httpPort ?? 8080,
        options.httpHost ?? '127.0.0.1',
      );
      return ports;
    },
    close: async () => {
      deps.sockets.close();
      const stopped = [mqttServer, mqttsServer, httpServer].flatMap((s) => (s ? [closeServer(s)] : []));
      httpServer.closeAllConnections();
      await Promise.all(stopped);
    },
  };
}
