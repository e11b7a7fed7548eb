import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import {
  ConflictError,
  NotFoundError,
  serveClient,
  ValidationError,
  type Clock,
  type CancelSignal,
} from '@tether/shared';
import { DEFAULT_LISTEN_HOST, type ListenerInput, type ListenerView } from '../api/listener-schemas.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { OwnListeners } from '../calls/own-listeners.js';
import type { StreamRouter } from '../calls/stream-router.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { ListenerRecord, ListenerSource, ListenerStore } from '../store/listener-store.js';

/** How long a connection may wait for its stream to open before it is reset. */
export const LISTENER_CONNECT_TIMEOUT_MS = 10_000;
/** Connections one listener holds at once; beyond, new ones are refused by the kernel's backlog. */
export const MAX_LISTENER_CONNECTIONS = 1024;

/** What the listeners need. */
export interface TcpListenersDeps {
  store: ListenerStore;
  audit: AuditLog;
  streams: StreamRouter;
  own: OwnListeners;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
}

interface Running {
  record: ListenerRecord;
  server: Server | undefined;
  error: string | null;
  connections: Set<Socket>;
}

/** Binds `host:port` with half-close on and reading paused until each connection's stream is spliced. */
async function bind(host: string, port: number, onConnection: (socket: Socket) => void): Promise<Server> {
  const server = createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: true }, onConnection);
  server.maxConnections = MAX_LISTENER_CONNECTIONS;
  server.listen(port, host);
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([err]) => Promise.reject(err as Error)),
  ]);
  return server;
}

/** The error to answer a failed bind with: what was wrong and what to do. */
function bindError(host: string, port: number, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE')
    return new ConflictError(`port ${port} on ${host} is in use: pick another port`, { cause: err });
  return new ValidationError(`cannot listen on ${host}:${port} (${code ?? 'error'}): pick another address`, {
    cause: err,
  });
}

/**
 * The control plane's TCP listeners: each one a port forwarding every connection to an instance of a service,
 * chosen by the service's route selection policy (a `tcp://` service: an edge's through its agent's tunnel, a
 * central one dialed from here). Persisted in SQLite (API ones until deleted; config ones synced at every start),
 * created and deleted with an audit row in the same transaction. A deleted listener resets its connections.
 */
export class TcpListeners {
  readonly #deps: TcpListenersDeps;
  readonly #running = new Map<number, Running>();

  constructor(deps: TcpListenersDeps) {
    this.#deps = deps;
  }

  /** Makes the config file's listeners the set of `config` ones, then binds every stored listener. */
  async start(config: readonly ListenerInput[]): Promise<void> {
    const { store, clock } = this.#deps;
    const ports = new Set(config.map((l) => l.port));
    this.#deps.audit.atomically(() => {
      for (const record of store.list())
        if (record.source === 'config' && !ports.has(record.port)) store.delete(record.port);
      for (const l of config) store.upsert(this.#record(l, l.port, 'config', clock.now()));
    });
    for (const record of store.list()) {
      try {
        await this.#open(record);
      } catch (err) {
        const error = (err as Error).message;
        this.#running.set(record.port, { record, server: undefined, error, connections: new Set() });
        this.#deps.logger.error(
          { port: record.port, service: record.service, err: error },
          'listener not bound',
        );
      }
    }
  }

  /** Every listener with its state. */
  list(): ListenerView[] {
    return [...this.#running.values()]
      .sort((a, b) => a.record.port - b.record.port)
      .map((r) => this.#view(r));
  }

  /** Opens a listener (port 0: any free port) and stores it with an audit row; ConflictError when the port is taken. */
  async add(input: ListenerInput, actor: string): Promise<ListenerView> {
    if (input.port !== 0 && this.#running.has(input.port))
      throw new ConflictError(`a listener on port ${input.port} exists already: delete it first`);
    const record = this.#record(input, input.port, 'api', this.#deps.clock.now());
    const running = await this.#open(record);
    try {
      this.#deps.audit.atomically(() => {
        this.#deps.store.upsert(running.record);
        this.#deps.audit.record({ kind: 'listener-created', actor, detail: this.#detail(running.record) });
      });
    } catch (err) {
      await this.#stop(running);
      throw err;
    }
    this.#deps.logger.info(this.#detail(running.record), 'listener created');
    return this.#view(running);
  }

  /** Deletes a listener (audited) and resets its connections; NotFoundError when there is none on `port`. */
  async remove(port: number, actor: string): Promise<void> {
    const running = this.#running.get(port);
    if (!running) throw new NotFoundError(`no listener on port ${port}`);
    this.#deps.audit.atomically(() => {
      this.#deps.store.delete(port);
      this.#deps.audit.record({ kind: 'listener-deleted', actor, detail: this.#detail(running.record) });
    });
    await this.#stop(running);
    this.#deps.logger.info(this.#detail(running.record), 'listener deleted');
  }

  /** Stops every listener and resets their connections. */
  async close(): Promise<void> {
    await Promise.all([...this.#running.values()].map((r) => this.#stop(r)));
  }

  #record(input: ListenerInput, port: number, source: ListenerSource, createdAt: number): ListenerRecord {
    return { port, host: input.host ?? DEFAULT_LISTEN_HOST, service: input.service, source, createdAt };
  }

  #detail(record: ListenerRecord): Record<string, unknown> {
    return { service: record.service, host: record.host, port: record.port };
  }

  #view(r: Running): ListenerView {
    return {
      port: r.record.port,
      host: r.record.host,
      service: r.record.service,
      source: r.record.source,
      createdAt: new Date(r.record.createdAt).toISOString(),
      listening: r.server !== undefined,
      error: r.error,
      connections: r.connections.size,
    };
  }

  async #open(record: ListenerRecord): Promise<Running> {
    const connections = new Set<Socket>();
    const holder: { running?: Running } = {};
    const server = await bind(
      record.host,
      record.port,
      (socket) => holder.running && this.#connect(holder.running, socket),
    ).catch((err: unknown) => Promise.reject(bindError(record.host, record.port, err)));
    const port = (server.address() as AddressInfo).port;
    const running: Running = { record: { ...record, port }, server, error: null, connections };
    holder.running = running;
    this.#running.set(port, running);
    this.#deps.own.add(record.host, port);
    return running;
  }

  async #stop(running: Running): Promise<void> {
    const { port } = running.record;
    if (this.#running.get(port) === running) this.#running.delete(port);
    this.#deps.own.delete(port);
    for (const socket of running.connections) socket.resetAndDestroy();
    const server = running.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** One client: a stream to an instance of the service, spliced with the socket; reset when none can be opened. */
  #connect(running: Running, socket: Socket): void {
    const { record, connections } = running;
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
    const caller = `listener:${record.port}`;
    const open = (signal: CancelSignal) =>
      this.#deps.streams.open({
        head: { protocol: 'tcp', service: record.service, caller: `central:${caller}`, hops: 1 },
        caller: { kind: 'central', id: caller },
        timeoutMs: LISTENER_CONNECT_TIMEOUT_MS,
        signal,
      });
    serveClient(socket, open, (err) => {
      const code = (err as { code?: string }).code ?? 'bad_gateway';
      this.#deps.metrics.streams.refused.inc({ reason: code });
      this.#deps.logger.debug(
        { port: record.port, service: record.service, code, err: err.message },
        'listener connection refused: reset',
      );
    });
  }
}
