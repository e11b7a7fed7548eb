import type { IClientOptions, MqttClient } from 'mqtt';
import {
  ForbiddenError,
  TimeoutError,
  TunnelClosedError,
  UnauthorizedError,
  systemClock,
  type BackoffOptions,
  type Clock,
  type MessageHandler,
  type PublishOptions,
  type Transport,
} from '@tether/shared';
import { ReconnectScheduler } from './reconnect-scheduler.js';
import { createMqttClient } from './tls/mqtt-client.js';
import { buildTlsPlan, describeCertificateError, type TlsPlan } from './tls/tls-plan.js';
import { topicMatches } from './topic-match.js';

/** Where an MqttTransport's link stands. */
export type ConnectionState = 'connecting' | 'connected' | 'disconnected' | 'unauthorized' | 'closed';

/** A Last Will: published by the broker when the link dies without a clean DISCONNECT. */
export interface WillMessage {
  topic: string;
  payload: string;
  qos?: 0 | 1;
  retain?: boolean;
}

/** The minimal logger the transport reports through (pino fits). */
export interface TransportLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

/** Options of an MqttTransport. `will` may be a function, re-evaluated before every attempt (fresh timestamps). */
export interface MqttTransportOptions {
  url: string;
  /** Every control-plane URL (replicas, `url` among them): attempts go round them (docs/cluster.md). */
  urls?: string[];
  clientId: string;
  username?: string;
  password?: string;
  will?: WillMessage | (() => WillMessage);
  clock?: Clock;
  random?: () => number;
  /** Backoff after a lost link (default 500 ms .. 30 s). */
  backoff?: BackoffOptions;
  /** Backoff after refused credentials (default 10 s .. 5 min). */
  authBackoff?: BackoffOptions;
  keepalive?: number;
  logger?: TransportLogger;
  /** Verification of `mqtts://` and `wss://` connections (default: the system CAs). */
  tls?: TlsPlan;
}

/** A snapshot of the link's health for status pages. */
export interface ConnectionStats {
  state: ConnectionState;
  connectedSince: number | null;
  lastError: string | null;
  reconnects: number;
  /** MQTT publishes and their payload bytes since the start: `in` received, `out` sent. */
  traffic: { messagesIn: number; messagesOut: number; bytesIn: number; bytesOut: number };
}

const CONNACK_REFUSED_CREDENTIALS = new Set([4, 5]);
const noopLogger: TransportLogger = { warn: () => {}, error: () => {}, debug: () => {} };

interface Subscription {
  qos: 0 | 1;
  handlers: Set<MessageHandler>;
}

/**
 * The shared Transport over MQTT.js 3.1.1 with our own reconnect (backoff with jitter, slow after refused
 * credentials), TCP_NODELAY on every connect, and subscriptions that survive reconnects: they are re-sent
 * before `onConnect` listeners run. Publishing while disconnected fails at once; nothing is queued.
 */
export class MqttTransport implements Transport {
  readonly #client: MqttClient;
  readonly #opts: MqttTransportOptions;
  readonly #clock: Clock;
  readonly #log: TransportLogger;
  readonly #scheduler: ReconnectScheduler;
  readonly #subs = new Map<string, Subscription>();
  readonly #connectListeners = new Set<() => void>();
  readonly #disconnectListeners = new Set<(error: string | null) => void>();
  readonly #pending = new Set<(err: Error) => void>();
  #state: ConnectionState = 'connecting';
  #connectedSince: number | null = null;
  #lastError: string | null = null;
  #reconnects = 0;
  readonly #traffic = { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0 };
  #authRefused = false;
  #generation = 0;

  private constructor(options: MqttTransportOptions) {
    this.#opts = options;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.logger ?? noopLogger;
    this.#scheduler = new ReconnectScheduler({
      reconnect: () => this.#reconnect(),
      clock: this.#clock,
      ...(options.random ? { random: options.random } : {}),
      ...(options.backoff ? { backoff: options.backoff } : {}),
      ...(options.authBackoff ? { authBackoff: options.authBackoff } : {}),
    });
    const clientOptions: IClientOptions = {
      clientId: options.clientId,
      username: options.username ?? options.clientId,
      clean: true,
      reconnectPeriod: 0,
      protocolVersion: 4,
      keepalive: options.keepalive ?? 30,
      resubscribe: false,
      queueQoSZero: false,
    };
    if (options.password !== undefined) clientOptions.password = options.password;
    const will = this.#will();
    if (will) clientOptions.will = will;
    this.#client = createMqttClient(
      options.urls?.length ? options.urls : options.url,
      clientOptions,
      options.tls ?? buildTlsPlan({}),
    );
    this.#client.on('connect', () => this.#onConnect());
    this.#client.on('error', (err) => this.#onError(err));
    this.#client.on('close', () => this.#onClose());
    this.#client.on('message', (topic, payload) => this.#dispatch(topic, payload));
  }

  /** Starts connecting in the background and returns at once; watch `state` and `onConnect`. */
  static create(options: MqttTransportOptions): MqttTransport {
    return new MqttTransport(options);
  }

  /**
   * Connects and resolves once the first connection is up (subscriptions need none yet). Rejects with an
   * UnauthorizedError when the broker refuses the credentials, or a TimeoutError after `timeoutMs` (default 10 s);
   * the transport is closed in both cases.
   */
  static async connect(options: MqttTransportOptions & { timeoutMs?: number }): Promise<MqttTransport> {
    const transport = new MqttTransport(options);
    try {
      await transport.#firstConnect(options.timeoutMs ?? 10_000);
      return transport;
    } catch (err) {
      await transport.close();
      throw err;
    }
  }

  /** The link's state now. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** True while connected to the broker. */
  get connected(): boolean {
    return this.#state === 'connected';
  }

  /** State, connected-since (epoch ms), last error and number of reconnect attempts. */
  get stats(): ConnectionStats {
    return {
      state: this.#state,
      connectedSince: this.#connectedSince,
      lastError: this.#lastError,
      reconnects: this.#reconnects,
      traffic: { ...this.#traffic },
    };
  }

  /** Calls `listener` after every (re)connect, once subscriptions are re-established. Returns an unsubscriber. */
  onConnect(listener: () => void): () => void {
    this.#connectListeners.add(listener);
    return () => this.#connectListeners.delete(listener);
  }

  /** Calls `listener` whenever an established connection is lost, with the last error if any. */
  onDisconnect(listener: (error: string | null) => void): () => void {
    this.#disconnectListeners.add(listener);
    return () => this.#disconnectListeners.delete(listener);
  }

  async publish(topic: string, payload: Uint8Array | string, options: PublishOptions = {}): Promise<void> {
    if (this.#state !== 'connected') throw new TunnelClosedError(`not connected (${this.#state})`);
    const body =
      typeof payload === 'string'
        ? payload
        : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    this.#traffic.messagesOut++;
    this.#traffic.bytesOut += typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    await new Promise<void>((resolve, reject) => {
      this.#pending.add(reject);
      this.#client.publish(topic, body, { qos: options.qos ?? 1, retain: options.retain ?? false }, (err) => {
        this.#pending.delete(reject);
        if (err) reject(new TunnelClosedError(`publish to ${topic} failed: ${err.message}`, { cause: err }));
        else resolve();
      });
    });
  }

  async subscribe(
    filter: string,
    handler: MessageHandler,
    options: { qos?: 0 | 1 } = {},
  ): Promise<() => Promise<void>> {
    const qos = options.qos ?? 1;
    let sub = this.#subs.get(filter);
    const isNew = !sub;
    if (!sub) {
      sub = { qos, handlers: new Set() };
      this.#subs.set(filter, sub);
    }
    sub.handlers.add(handler);
    const unsubscribe = async (): Promise<void> => {
      const current = this.#subs.get(filter);
      if (!current?.handlers.delete(handler) || current.handlers.size > 0) return;
      this.#subs.delete(filter);
      if (this.#state === 'connected') await this.#client.unsubscribeAsync(filter).catch(() => undefined);
    };
    if (isNew && this.#state === 'connected') {
      try {
        await this.#sendSubscribe(filter, qos);
      } catch (err) {
        await unsubscribe();
        throw err;
      }
    }
    return unsubscribe;
  }

  /**
   * The password for every later (re)connect, e.g. a rotated secret: the live connection is not touched.
   */
  setPassword(password: string): void {
    this.#client.options.password = password;
  }

  /** Ends the link without publishing anything more (the Last Will is not sent: DISCONNECT is clean). */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    const wasConnected = this.#state === 'connected';
    this.#setState('closed');
    this.#scheduler.stop();
    this.#failPending(new TunnelClosedError('transport closed'));
    // Connected: a clean DISCONNECT (no Last Will). Otherwise there is nothing to say goodbye to.
    await this.#client.endAsync(!wasConnected).catch(() => undefined);
  }

  #will(): WillMessage | undefined {
    const will = this.#opts.will;
    return typeof will === 'function' ? will() : will;
  }

  async #sendSubscribe(filter: string, qos: 0 | 1): Promise<void> {
    let granted;
    try {
      granted = await this.#client.subscribeAsync(filter, { qos });
    } catch (err) {
      const granted = (err as { packet?: { granted?: unknown[] } }).packet?.granted ?? [];
      if (granted.some((g) => typeof g === 'number' && (g & 0x80) !== 0)) {
        throw new ForbiddenError(`subscription to ${filter} was refused`, { cause: err });
      }
      throw new TunnelClosedError(`subscription to ${filter} failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (granted.some((g) => g.qos === 128)) throw new ForbiddenError(`subscription to ${filter} was refused`);
  }

  #onConnect(): void {
    const generation = ++this.#generation;
    const stream = this.#client.stream as { setNoDelay?: (on: boolean) => void } | undefined;
    // TCP and TLS streams have setNoDelay; the ws library sets TCP_NODELAY on its own socket.
    if (typeof stream?.setNoDelay === 'function') stream.setNoDelay(true);
    this.#scheduler.connected();
    this.#authRefused = false;
    this.#connectedSince = this.#clock.now();
    this.#setState('connected');
    void this.#resubscribeAll().then(() => {
      if (generation !== this.#generation || this.#state !== 'connected') return;
      for (const listener of [...this.#connectListeners]) listener();
    });
  }

  async #resubscribeAll(): Promise<void> {
    for (const [filter, sub] of this.#subs) {
      try {
        await this.#sendSubscribe(filter, sub.qos);
      } catch (err) {
        this.#lastError = (err as Error).message;
        this.#log.error({ filter, err: (err as Error).message }, 'subscription refused');
      }
    }
  }

  #onError(err: Error & { code?: unknown }): void {
    this.#lastError = err.message;
    if (typeof err.code === 'number' && CONNACK_REFUSED_CREDENTIALS.has(err.code)) {
      this.#authRefused = true;
      this.#log.error(
        { agentId: this.#opts.clientId, code: err.code },
        `control plane refused the credentials of agent ${this.#opts.clientId} (revoked, unknown or a wrong secret): ${err.message}`,
      );
    } else {
      const certificate = describeCertificateError(err);
      if (certificate) this.#log.error({ code: err.code }, certificate);
      else this.#log.warn({ err: err.message, code: err.code }, 'control plane connection error');
    }
  }

  #onClose(): void {
    this.#generation++;
    this.#failPending(new TunnelClosedError('connection closed'));
    if (this.#state === 'closed') return;
    const wasConnected = this.#state === 'connected';
    this.#connectedSince = null;
    const reason = this.#authRefused ? 'unauthorized' : 'lost';
    this.#authRefused = false;
    this.#setState(reason === 'unauthorized' ? 'unauthorized' : 'disconnected');
    if (wasConnected) for (const listener of [...this.#disconnectListeners]) listener(this.#lastError);
    const delay = this.#scheduler.closed(reason);
    this.#log.debug({ delayMs: delay, reason }, 'reconnect scheduled');
  }

  #reconnect(): void {
    if (this.#state === 'closed') return;
    this.#reconnects++;
    if (this.#state !== 'unauthorized') this.#setState('connecting');
    const will = this.#will();
    if (will) this.#client.options.will = will;
    this.#client.reconnect();
  }

  #dispatch(topic: string, payload: Buffer): void {
    this.#traffic.messagesIn++;
    this.#traffic.bytesIn += payload.byteLength;
    for (const [filter, sub] of this.#subs) {
      if (!topicMatches(filter, topic)) continue;
      for (const handler of [...sub.handlers]) handler(topic, payload);
    }
  }

  #failPending(err: Error): void {
    for (const reject of [...this.#pending]) reject(err);
    this.#pending.clear();
  }

  #setState(state: ConnectionState): void {
    this.#state = state;
  }

  #firstConnect(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const cleanup = (): void => {
        this.#clock.clearTimeout(timer);
        this.#client.off('connect', onConnect);
        this.#client.off('error', onError);
      };
      const onConnect = (): void => {
        cleanup();
        resolve();
      };
      const onError = (err: Error & { code?: unknown }): void => {
        if (typeof err.code !== 'number' || !CONNACK_REFUSED_CREDENTIALS.has(err.code)) return;
        cleanup();
        reject(
          new UnauthorizedError(
            `control plane refused the credentials of agent ${this.#opts.clientId} (revoked, unknown or a wrong secret): ${err.message}`,
          ),
        );
      };
      const timer = this.#clock.setTimeout(() => {
        cleanup();
        reject(new TimeoutError(`no connection to ${this.#opts.url} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#client.on('connect', onConnect);
      this.#client.on('error', onError);
    });
  }
}
