/**
 * A minimal MQTT 3.1.1 client for bench:scale's simulator (sim-agents.ts): CONNECT, SUBSCRIBE, PUBLISH at QoS 0/1
 * and the acknowledgements, over node:net with mqtt-packet, TCP_NODELAY on. An MQTT.js client cost its process as
 * much CPU per connect as the broker it was measuring; this one keeps the simulator off the critical path, so
 * raw aedes with the same simulator is the floor. Implements only the MqttClient calls the simulator makes.
 */
import { EventEmitter } from 'node:events';
import { connect as tcpConnect, type Socket } from 'node:net';
import mqttPacket, { type Packet } from 'mqtt-packet';

/** Options of a connect. */
export interface LiteOptions {
  clientId: string;
  username: string;
  password: string;
  keepalive: number;
}

/** A CONNACK refusal: `code` is the return code (3: server unavailable, 4/5: credentials), as in MQTT.js. */
export class ConnackError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

const live = new Set<LiteClient>();
let pinger: NodeJS.Timeout | undefined;

/** One connection; events: `connect`, `message` (topic, payload), `error`, `close`. */
export class LiteClient extends EventEmitter {
  readonly #socket: Socket;
  readonly #acks = new Map<number, () => void>();
  #nextId = 1;
  #closed = false;

  constructor(url: string, options: LiteOptions) {
    super();
    const { hostname, port } = new URL(url);
    this.#socket = tcpConnect({ host: hostname, port: Number(port), noDelay: true });
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (p: Packet) => this.#onPacket(p));
    parser.on('error', (err: Error) => this.#fail(err));
    this.#socket.on('data', (chunk: Buffer) => parser.parse(chunk));
    this.#socket.on('error', (err) => this.#fail(err));
    this.#socket.on('close', () => this.#onClose());
    this.#send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      clientId: options.clientId,
      keepalive: options.keepalive,
      username: options.username,
      password: Buffer.from(options.password),
    });
    live.add(this);
    // One timer pings every live client (well inside any keepalive the simulator uses).
    pinger ??= setInterval(() => {
      for (const c of live) c.#send({ cmd: 'pingreq' });
    }, 20_000).unref();
  }

  /** Publishes; QoS 1 resolves on PUBACK. */
  publishAsync(topic: string, payload: string, opts: { qos: 0 | 1; retain?: boolean }): Promise<void> {
    return new Promise((resolve) => this.publish(topic, payload, opts, resolve));
  }

  /** Publishes without waiting (`done` on PUBACK for QoS 1). */
  publish(topic: string, payload: string, opts: { qos: 0 | 1; retain?: boolean }, done?: () => void): void {
    const messageId = opts.qos === 1 ? this.#id(done ?? (() => undefined)) : undefined;
    this.#send({
      cmd: 'publish',
      topic,
      payload: Buffer.from(payload),
      qos: opts.qos,
      retain: opts.retain ?? false,
      dup: false,
      ...(messageId === undefined ? {} : { messageId }),
    });
    if (opts.qos === 0) done?.();
  }

  /** Subscribes; resolves on SUBACK. */
  subscribeAsync(topic: string, opts: { qos: 0 | 1 }): Promise<void> {
    return new Promise((resolve) => {
      const messageId = this.#id(resolve);
      this.#send({ cmd: 'subscribe', messageId, subscriptions: [{ topic, qos: opts.qos }] });
    });
  }

  /** Closes the socket (at once, as MQTT.js's `end(true)`). */
  endAsync(_force?: boolean): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.#socket.once('close', () => resolve());
      this.#socket.destroy();
    });
  }

  #id(done: () => void): number {
    const id = this.#nextId;
    this.#nextId = (this.#nextId % 65_535) + 1;
    this.#acks.set(id, done);
    return id;
  }

  #send(packet: Record<string, unknown>): void {
    if (this.#closed) return;
    this.#socket.write(mqttPacket.generate(packet as unknown as Packet));
  }

  #onPacket(p: Packet): void {
    switch (p.cmd) {
      case 'connack':
        if (p.returnCode === 0) return void this.emit('connect');
        this.#fail(
          new ConnackError(`Connection refused: return code ${p.returnCode ?? '?'}`, p.returnCode ?? 0),
        );
        return void this.#socket.destroy();
      case 'puback':
      case 'suback': {
        const done = p.messageId === undefined ? undefined : this.#acks.get(p.messageId);
        if (p.messageId !== undefined) this.#acks.delete(p.messageId);
        return done?.();
      }
      case 'publish':
        if (p.qos === 1 && p.messageId !== undefined) this.#send({ cmd: 'puback', messageId: p.messageId });
        return void this.emit('message', p.topic, p.payload);
      default:
        return;
    }
  }

  #fail(err: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    live.delete(this);
    this.emit('close');
  }
}
