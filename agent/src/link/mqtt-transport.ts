import type { MqttClient } from 'mqtt';
import type { Duplex } from 'node:stream';
import {
  DrainWaits,
  TunnelClosedError,
  systemClock,
  type Clock,
  type MessageHandler,
  type PublishOptions,
  type Transport,
} from '@tether/shared';
import { logConnected, logConnectError } from './connect-log.js';
import { waitForFirstConnect } from './connect-outcome.js';
import { LinkTraffic } from './link-traffic.js';
import { mqttClientOptions } from './mqtt-client-options.js';
import type {
  ConnectionState,
  ConnectionStats,
  MqttTransportOptions,
  TransportLogger,
  WillMessage,
} from './mqtt-transport-types.js';
import { MqttSubscriptions } from './mqtt-subscriptions.js';
import { ReconnectScheduler } from './reconnect-scheduler.js';
import { publishOnStream } from './stream-publish.js';
import { redactUrl } from './control-plane-url.js';
import { createMqttClient } from './tls/mqtt-client.js';
import { buildTlsPlan } from './tls/tls-plan.js';

const noopLogger: TransportLogger = { warn: () => {}, error: () => {}, debug: () => {} };

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
  readonly #subs: MqttSubscriptions;
  readonly #connectListeners = new Set<() => void>();
  readonly #disconnectListeners = new Set<(error: string | null) => void>();
  readonly #pending = new Set<(err: Error) => void>();
  #state: ConnectionState = 'connecting';
  #connectedSince: number | null = null;
  #lastError: string | null = null;
  #reconnects = 0;
  readonly #traffic = new LinkTraffic();
  readonly #drains = new DrainWaits<Duplex>();
  #authRefused = false;
  /** The last attempt was refused with CONNACK 3 (the hub is busy): retried on the busy backoff. */
  #busyRefused = false;
  #generation = 0;
  /** When the last established connection was lost (epoch ms), for "reconnected after N s". */
  #lostAt: number | null = null;
  #everConnected = false;

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
    this.#client = createMqttClient(
      options.urls?.length ? options.urls : options.url,
      mqttClientOptions(options, this.#will()),
      options.tls ?? buildTlsPlan({}),
    );
    this.#subs = new MqttSubscriptions(this.#client);
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
      await waitForFirstConnect(transport.#client, {
        clock: transport.#clock,
        clientId: options.clientId,
        url: options.url,
        timeoutMs: options.timeoutMs ?? 10_000,
      });
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
      traffic: this.#traffic.snapshot(),
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
    this.#traffic.sent(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
    await new Promise<void>((resolve, reject) => {
      this.#pending.add(reject);
      this.#client.publish(topic, body, { qos: options.qos ?? 1, retain: options.retain ?? false }, (err) => {
        this.#pending.delete(reject);
        if (err) reject(new TunnelClosedError(`publish to ${topic} failed: ${err.message}`, { cause: err }));
        else resolve();
      });
    });
  }

  /**
   * A QoS 0 PUBLISH of `parts` written straight onto the connection, past MQTT.js (which takes one payload, so the
   * parts were joined: a copy of every 64 KiB call body): a whole packet per call, in call order with MQTT.js's own
   * writes, which are whole packets too. Undefined while not connected (the caller then publishes, which fails).
   */
  publishParts(topic: string, parts: readonly Uint8Array[], size: number): Promise<void> | undefined {
    const stream = this.#client.stream as Duplex | undefined;
    if (this.#state !== 'connected' || !this.#client.connected || !stream) return undefined;
    if (stream.destroyed || !stream.writable) return undefined;
    const written = publishOnStream(stream, this.#drains, topic, parts, size);
    this.#traffic.sent(size);
    return written;
  }

  async subscribe(
    filter: string,
    handler: MessageHandler,
    options: { qos?: 0 | 1 } = {},
  ): Promise<() => Promise<void>> {
    const qos = options.qos ?? 1;
    const isNew = this.#subs.add(filter, handler, qos);
    const unsubscribe = async (): Promise<void> => {
      if (!this.#subs.remove(filter, handler)) return;
      if (this.#state === 'connected') await this.#client.unsubscribeAsync(filter).catch(() => undefined);
    };
    if (isNew && this.#state === 'connected') {
      try {
        await this.#subs.send(filter, qos);
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
    // MQTT.js's graceful end waits until every QoS 1 publish it holds is acknowledged; one sent as an earlier
    // connection dropped never is by the broker's new clean session, and the end waited forever (an upgrade's
    // hand-over after a control-plane restart hung here). Those publishes were failed above: drop them.
    for (const id of Object.keys(this.#client.outgoing)) this.#client.removeOutgoingMessage(Number(id));
    // Connected: a clean DISCONNECT (no Last Will). Otherwise there is nothing to say goodbye to.
    await this.#client.endAsync(!wasConnected).catch(() => undefined);
  }

  #will(): WillMessage | undefined {
    const will = this.#opts.will;
    return typeof will === 'function' ? will() : will;
  }

  #onConnect(): void {
    const generation = ++this.#generation;
    const stream = this.#client.stream as
      { setNoDelay?: (on: boolean) => void; bytesWritten?: number } | undefined;
    this.#traffic.opened(stream);
    // TCP and TLS streams have setNoDelay; the ws library sets TCP_NODELAY on its own socket.
    if (typeof stream?.setNoDelay === 'function') stream.setNoDelay(true);
    this.#scheduler.connected();
    this.#authRefused = false;
    this.#busyRefused = false;
    this.#connectedSince = this.#clock.now();
    this.#setState('connected');
    logConnected(this.#log, {
      url: (this.#opts.urls?.length ? this.#opts.urls : [this.#opts.url]).map(redactUrl).join(','),
      first: !this.#everConnected,
      lostAt: this.#lostAt,
      now: this.#connectedSince,
      reconnects: this.#reconnects,
    });
    this.#everConnected = true;
    void this.#subs
      .sendAll((filter, err) => this.#subscriptionRefused(filter, err))
      .then(() => {
        if (generation !== this.#generation || this.#state !== 'connected') return;
        for (const listener of [...this.#connectListeners]) listener();
      });
  }

  #subscriptionRefused(filter: string, err: Error): void {
    this.#lastError = err.message;
    this.#log.error({ filter, err: err.message }, 'subscription refused');
  }

  #onError(err: Error & { code?: unknown }): void {
    this.#lastError = err.message;
    const kind = logConnectError(this.#log, this.#opts.clientId, err);
    if (kind === 'unauthorized') this.#authRefused = true;
    else if (kind === 'busy') this.#busyRefused = true;
  }

  #onClose(): void {
    this.#generation++;
    this.#traffic.closed();
    this.#failPending(new TunnelClosedError('connection closed'));
    if (this.#state === 'closed') return;
    const wasConnected = this.#state === 'connected';
    this.#connectedSince = null;
    const reason = this.#authRefused ? 'unauthorized' : this.#busyRefused ? 'busy' : 'lost';
    this.#authRefused = false;
    this.#busyRefused = false;
    this.#setState(reason === 'unauthorized' ? 'unauthorized' : 'disconnected');
    if (wasConnected) {
      this.#lostAt = this.#clock.now();
      this.#log.info?.(
        { reason: this.#lastError ?? 'the connection closed' },
        'disconnected from the control plane',
      );
      for (const listener of [...this.#disconnectListeners]) listener(this.#lastError);
    }
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
    this.#traffic.received(payload.byteLength);
    this.#subs.dispatch(topic, payload);
  }

  #failPending(err: Error): void {
    for (const reject of [...this.#pending]) reject(err);
    this.#pending.clear();
  }

  #setState(state: ConnectionState): void {
    this.#state = state;
  }
}
