import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { serveClient, type TunnelEndpoint, type CancelSignal } from '@tether/shared';
import { ConfigError } from '../errors.js';
import type { AgentLogger } from '../observability/logger.js';
import { DEFAULT_LISTEN_HOST, type ListenSpec } from './listen-spec.js';

/** How long a connection may wait for its stream to open before it is reset. */
export const LISTEN_CONNECT_TIMEOUT_MS = 10_000;

/** An agent listener as `GET /v1/listeners` shows it. */
export interface ListenerView {
  service: string;
  host: string;
  /** The bound port (the real one when asked for 0). */
  port: number;
  /** Connections open through it now. */
  connections: number;
}

/** The agent's listeners, bound. */
export interface TcpListeners {
  list(): ListenerView[];
  /** Stops listening and resets every connection. */
  close(): Promise<void>;
}

/** What the listeners need. */
export interface TcpListenersDeps {
  /** This agent's id: the caller of every stream it opens (the hub takes it from the MQTT identity anyway). */
  id: string;
  endpoint: TunnelEndpoint;
  logger: AgentLogger;
  /** A connection could not be given a stream (metrics), with the error code. */
  refused(code: string): void;
}

interface Running {
  spec: ListenSpec & { host: string };
  server: Server;
  connections: Set<Socket>;
}

/**
 * Binds each `--listen NAME=HOST:PORT`: every local connection becomes a stream up the tunnel, which the hub routes
 * by the service's policy as it routes this agent's calls (a central TCP service, or another edge's one a policy
 * allows), with the hop count starting at 1. A connection the hub refuses, or that finds the link down, is reset.
 * A port that cannot be bound stops the agent's start (ConfigError, exit code 2).
 */
export async function openTcpListeners(
  specs: readonly ListenSpec[],
  deps: TcpListenersDeps,
): Promise<TcpListeners> {
  const running: Running[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(
      running.splice(0).map(async ({ server, connections }) => {
        for (const socket of connections) socket.resetAndDestroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }),
    );
  };
  for (const given of specs) {
    const spec = { ...given, host: given.host ?? DEFAULT_LISTEN_HOST };
    const connections = new Set<Socket>();
    const server = createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: true }, (socket) =>
      connect(spec, socket, connections, deps),
    );
    try {
      server.listen(spec.port, spec.host);
      await Promise.race([
        once(server, 'listening'),
        once(server, 'error').then(([err]) => Promise.reject(err as Error)),
      ]);
    } catch (err) {
      await close();
      throw new ConfigError(
        `cannot listen on ${spec.host}:${spec.port} for service "${spec.service}" (${(err as NodeJS.ErrnoException).code ?? 'error'}): pick another --listen port`,
        { cause: err },
      );
    }
    const port = (server.address() as AddressInfo).port;
    running.push({ spec: { ...spec, port }, server, connections });
    deps.logger.info({ service: spec.service, host: spec.host, port }, 'listening for the service');
  }
  return {
    list: () =>
      running.map(({ spec, connections }) => ({
        service: spec.service,
        host: spec.host,
        port: spec.port,
        connections: connections.size,
      })),
    close,
  };
}

function connect(spec: ListenSpec, socket: Socket, connections: Set<Socket>, deps: TcpListenersDeps): void {
  connections.add(socket);
  socket.once('close', () => connections.delete(socket));
  const open = async (signal: CancelSignal) => {
    const opened = await deps.endpoint.openStream(
      { protocol: 'tcp', service: spec.service, caller: deps.id, hops: 1 },
      { timeoutMs: LISTEN_CONNECT_TIMEOUT_MS, signal },
    );
    return { pipe: opened.stream, accept: opened.accept };
  };
  serveClient(socket, open, (err) => {
    const code = (err as { code?: string }).code ?? 'bad_gateway';
    deps.refused(code);
    deps.logger.debug(
      { service: spec.service, code, err: err.message },
      'listener connection refused: reset',
    );
  });
}
