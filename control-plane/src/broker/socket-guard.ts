import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Aedes } from 'aedes';
import type { Clock } from '@tether/shared';
import type { AuditLog } from '../audit/audit-log.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { BrokerLimits } from './limits.js';
import { MqttFrameScanner, type FrameViolation } from './mqtt-frame-scanner.js';
import { ConnectionAdmission, type AdmissionRefusal } from './connection-admission.js';
import { TurnPacer } from './turn-pacer.js';
import { installPublishFastPath, type PacketParser } from './publish-fast-path.js';

/** What the socket guard needs. */
export interface SocketGuardDeps {
  broker: Aedes;
  limits: BrokerLimits;
  metrics: Metrics;
  logger: Logger;
  audit: AuditLog;
  clock: Clock;
}

/** Admitted TCP and TLS sockets handed to aedes (TLS: to their handshake) per event-loop turn (README: "Abuse limits"). */
const SOCKETS_PER_TURN = 32;

/**
 * Starts the server side of a TLS handshake on an admitted raw socket (tls/tls-handshake.ts) and returns the TLS
 * socket; `done` is called once: with it when the handshake succeeded, or undefined when it failed or closed first.
 */
export type TlsHandshake = (raw: Socket, done: (secure: Duplex | undefined) => void) => Duplex;

/** A socket waiting for its turn: `go` hands it to aedes, or starts its TLS handshake. */
interface Turn {
  socket: Duplex;
  go: () => void;
}

/**
 * The guards every MQTT connection passes, whatever the listener (TCP, TLS, WebSocket): `guardSocket` (TCP,
 * WebSocket) and `guardTlsSocket` (TLS, before its handshake) are the only ways to aedes. Before aedes sees a byte: the connection-attempt rate per source address
 * and the admission rate over all sources (token buckets). Then, on the bytes aedes reads: the MQTT packet size
 * limit (checked on each fixed header, before the body is buffered) and the byte limit before authentication.
 * aedes's `connectTimeout` (set from the same limits) closes a socket whose CONNECT has not fully arrived in time.
 */
export class SocketGuard {
  readonly #d: SocketGuardDeps;
  readonly #admission: ConnectionAdmission;
  readonly #scanners = new WeakMap<object, MqttFrameScanner>();
  readonly #sources = new WeakMap<object, string>();
  readonly #pacer: TurnPacer<Turn>;
  /** TLS sockets admitted and not yet through their handshake (bounded by `limits.maxHandshakes`). */
  #handshakes = 0;

  constructor(deps: SocketGuardDeps) {
    this.#d = deps;
    this.#admission = new ConnectionAdmission(deps.limits, deps.clock);
    this.#pacer = new TurnPacer(({ socket, go }) => {
      if (!socket.destroyed) this.#d.metrics.stages.time('admission', go);
    }, SOCKETS_PER_TURN);
    deps.broker.on('client', (client) => this.#scanners.get(client.conn)?.authenticated());
  }

  /** The source address a guarded connection came from. */
  sourceOf(conn: object): string | undefined {
    return this.#sources.get(conn);
  }

  /**
   * Applies the guards and hands the socket to aedes (or destroys it). `req`: the HTTP upgrade of a WebSocket,
   * whose raw socket's bytes (WebSocket framing included) count against the pre-authentication limit. A TCP or
   * TLS socket is handed on in a later turn, at most SOCKETS_PER_TURN a turn (TurnPacer; its listener does not
   * read it until then), so a storm's CONNECTs are parsed and authenticated in batches the API answers between.
   */
  guardSocket(socket: Duplex, req?: IncomingMessage): void {
    this.#d.metrics.stages.time('admission', () => this.#guard(socket, req));
  }

  /**
   * The MQTT-over-TLS entry: `raw` is a TCP socket not read yet (`pauseOnConnect`). The same rates as
   * `guardSocket`, and the cap on sockets still handshaking, are checked before any TLS work: a refused socket is
   * destroyed without a byte read or written. An admitted one waits for its turn (TurnPacer), then `handshake`
   * wraps it; once secure, the TLS socket goes to aedes. A socket not through its handshake within
   * `handshakeTimeoutMs` of its admission is destroyed; until then it counts toward `maxHandshakes`.
   */
  guardTlsSocket(raw: Socket, handshake: TlsHandshake): void {
    this.#d.metrics.stages.time('admission', () => this.#guardTls(raw, handshake));
  }

  #guard(socket: Duplex, req?: IncomingMessage): void {
    const source =
      req?.socket.remoteAddress ?? (socket as { remoteAddress?: string }).remoteAddress ?? 'unknown';
    this.#logErrors(socket, source);
    const refusal = this.#admission.admit(source);
    if (refusal) return this.#refuse(socket, source, refusal);
    if (req) this.#hand(socket, source, req);
    else this.#pacer.push({ socket, go: () => this.#hand(socket, source) });
  }

  #guardTls(raw: Socket, handshake: TlsHandshake): void {
    const { limits, metrics } = this.#d;
    const source = raw.remoteAddress ?? 'unknown';
    this.#logErrors(raw, source);
    const refusal = this.#admission.admit(source, { open: this.#handshakes, max: limits.maxHandshakes });
    if (refusal) return this.#refuse(raw, source, refusal);
    this.#handshakes++;
    let current: Duplex = raw;
    let started = false;
    let settled = false;
    const settle = (outcome: 'secure' | 'failed' | 'timeout'): void => {
      if (settled) return;
      settled = true;
      this.#handshakes--;
      clearTimeout(timer);
      if (started) metrics.tlsHandshakes.inc({ outcome });
    };
    const timer = setTimeout(() => {
      settle('timeout');
      metrics.socketRefusals.inc({ reason: 'handshake_timeout' });
      current.destroy();
    }, limits.handshakeTimeoutMs).unref();
    raw.once('close', () => settle('failed'));
    const go = (): void => {
      started = true;
      current = handshake(raw, (secure) => {
        settle(secure ? 'secure' : 'failed');
        if (secure) this.#hand(secure, source);
      });
      this.#logErrors(current, source);
    };
    this.#pacer.push({ socket: raw, go });
  }

  #logErrors(socket: Duplex, source: string): void {
    socket.on('error', (err) => this.#d.logger.debug({ source, err: err.message }, 'mqtt socket error'));
  }

  #refuse(socket: Duplex, source: string, refusal: AdmissionRefusal): void {
    this.#d.metrics.socketRefusals.inc({ reason: refusal });
    // A storm refused by the global rate or a cap is counted, not audited per socket (the agents' backoff retries).
    if (refusal === 'rate_limited') {
      this.#d.audit.record({ kind: 'rate-limited', source, detail: { what: 'connect' } });
    }
    socket.destroy();
  }

  #hand(socket: Duplex, source: string, req?: IncomingMessage): void {
    const { broker, limits, metrics, logger } = this.#d;
    this.#sources.set(socket, source);
    const scanner = new MqttFrameScanner(limits, { preConnect: req ? 'transport' : 'stream' });
    this.#scanners.set(socket, scanner);
    broker.handle(socket, req);
    const parser = packetParserOf(socket);
    if (parser) installPublishFastPath(parser);
    const close = (violation: FrameViolation): void => {
      socket.off('data', onData);
      req?.socket.off('data', onRaw);
      metrics.socketRefusals.inc({ reason: violation });
      const client = (socket as { client?: { id?: string | null } }).client;
      logger.warn(
        { source, agentId: client?.id ?? undefined, reason: violation },
        'mqtt connection closed by a limit',
      );
      socket.destroy();
      req?.socket.destroy();
    };
    // Added after aedes's 'readable' listener, 'data' does not switch the stream to flowing mode: it fires for
    // every chunk aedes reads, before aedes parses it.
    const onData = (chunk: Buffer): void => {
      const violation = scanner.scan(chunk);
      if (violation) close(violation);
    };
    // Under a WebSocket the raw socket already flows (ws reads it): count its bytes until CONNECT succeeded.
    const onRaw = (chunk: Buffer): void => {
      const violation = scanner.transportBytes(chunk.byteLength);
      if (violation) close(violation);
    };
    socket.on('data', onData);
    req?.socket.on('data', onRaw);
  }
}

/**
 * The mqtt-packet parser aedes made for the client on `socket` (aedes 1.2 keeps it as `client._parser`), when it
 * has the shape the publish fast path needs; undefined otherwise (the broker then parses as it always did).
 */
export function packetParserOf(socket: Duplex): PacketParser | undefined {
  const parser = (socket as { client?: { _parser?: Partial<PacketParser> } }).client?._parser;
  if (
    !parser ||
    typeof parser.parse !== 'function' ||
    typeof parser.emit !== 'function' ||
    typeof parser._list?.length !== 'number' ||
    typeof parser._stateCounter !== 'number'
  )
    return undefined;
  return parser as PacketParser;
}
