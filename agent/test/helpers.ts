import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Aedes, type AuthenticateError } from 'aedes';
import { pino } from 'pino';
import type { Clock, MessageHandler, PublishOptions } from '@tether/shared';

/** A pino logger that drops everything. */
export const quietLogger = pino({ level: 'silent' });

/** Polls `check` until it returns a truthy value; bounded in time and number of tries. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 5_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 1_000; i++) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A clock whose timers only run when the test says so; records every requested delay. */
export class ManualClock implements Clock {
  time = 1_000_000;
  readonly delays: number[] = [];
  readonly #timers = new Map<number, { at: number; fn: () => void }>();
  #next = 1;

  now(): number {
    return this.time;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    this.delays.push(ms);
    const id = this.#next++;
    this.#timers.set(id, { at: this.time + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }
  /** Number of pending timers. */
  get pending(): number {
    return this.#timers.size;
  }
  /** Moves time forward, running due timers in order. */
  advance(ms: number): void {
    const until = this.time + ms;
    for (let i = 0; i < 10_000; i++) {
      const due = [...this.#timers.entries()]
        .filter(([, t]) => t.at <= until)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.#timers.delete(due[0]);
      this.time = due[1].at;
      due[1].fn();
    }
    this.time = until;
  }
}

/** A real clock that records requested delays but fires after at most `maxMs`, so slow backoffs run quickly. */
export function recordingClock(maxMs = 20): Clock & { delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    now: () => Date.now(),
    setTimeout: (fn, ms) => {
      delays.push(ms);
      const t = setTimeout(fn, Math.min(ms, maxMs));
      t.unref();
      return t;
    },
    clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  };
}

/** One message seen by a fake transport or the test broker. */
export interface SeenMessage {
  topic: string;
  payload: string;
  retain: boolean;
  /** The payload parsed as JSON (empty when it is not JSON, e.g. a compressed report frame). */
  json: { type?: string; [k: string]: unknown };
  /** The payload's bytes. */
  bytes?: Buffer;
}

/** An in-memory LinkTransport: records publishes, lets the test deliver inbox messages and flip the link. */
export class FakeTransport {
  connected = false;
  readonly published: SeenMessage[] = [];
  readonly #handlers = new Map<string, MessageHandler>();
  readonly #onConnect = new Set<() => void>();
  readonly #onDisconnect = new Set<(e: string | null) => void>();

  async publish(topic: string, payload: Uint8Array | string, options: PublishOptions = {}): Promise<void> {
    if (!this.connected) throw new Error('not connected');
    const bytes = Buffer.from(payload);
    const text = bytes.toString();
    this.published.push({
      topic,
      payload: text,
      retain: options.retain ?? false,
      json: bytes[0] === 0x7b ? (JSON.parse(text) as SeenMessage['json']) : {},
      bytes,
    });
  }
  async subscribe(filter: string, handler: MessageHandler): Promise<() => Promise<void>> {
    this.#handlers.set(filter, handler);
    return async () => {
      this.#handlers.delete(filter);
    };
  }
  async close(): Promise<void> {
    this.connected = false;
  }
  onConnect(l: () => void): () => void {
    this.#onConnect.add(l);
    return () => this.#onConnect.delete(l);
  }
  onDisconnect(l: (e: string | null) => void): () => void {
    this.#onDisconnect.add(l);
    return () => this.#onDisconnect.delete(l);
  }
  /** Simulates a (re)connect. */
  connect(): void {
    this.connected = true;
    for (const l of this.#onConnect) l();
  }
  /** Simulates a lost link. */
  drop(): void {
    this.connected = false;
    for (const l of this.#onDisconnect) l('dropped');
  }
  /** Delivers a message as if it arrived from the broker. */
  deliver(topic: string, message: unknown): void {
    const handler = this.#handlers.get(topic);
    if (!handler) throw new Error(`nothing subscribed to ${topic}`);
    handler(topic, Buffer.from(typeof message === 'string' ? message : JSON.stringify(message)));
  }
  /** Published messages of one type. */
  ofType(type: string): SeenMessage[] {
    return this.published.filter((m) => m.json.type === type);
  }
}

/** A real aedes broker on a random port, recording every client publish and subscribe in order. */
export interface TestBroker {
  url: string;
  port: number;
  broker: Aedes;
  events: Array<{ kind: 'publish' | 'subscribe'; clientId: string; topic: string; message?: SeenMessage }>;
  published(type?: string): SeenMessage[];
  /** Publishes as the hub would, to any topic. */
  publish(topic: string, message: unknown): Promise<void>;
  /** Cuts every client connection (like a network failure). */
  dropAll(): void;
  close(): Promise<void>;
}

/** Starts an aedes broker on port 0 (noDelay), optionally refusing every CONNECT with `refuse` (4 or 5). */
export async function startBroker(options: { refuse?: 4 | 5 } = {}): Promise<TestBroker> {
  const broker = await Aedes.createBroker();
  if (options.refuse) {
    const code = options.refuse;
    broker.authenticate = (_client, _user, _pass, done) => {
      const err = new Error('refused') as AuthenticateError;
      err.returnCode = code;
      done(err, false);
    };
  }
  const events: TestBroker['events'] = [];
  broker.on('publish', (packet, client) => {
    if (!client || packet.topic.startsWith('$SYS')) return;
    const payload = packet.payload.toString();
    let json: SeenMessage['json'] = {};
    try {
      json = JSON.parse(payload) as SeenMessage['json'];
    } catch {
      /* not JSON */
    }
    events.push({
      kind: 'publish',
      clientId: client.id,
      topic: packet.topic,
      message: { topic: packet.topic, payload, retain: packet.retain, json },
    });
  });
  broker.on('subscribe', (subs, client) => {
    for (const s of subs) events.push({ kind: 'subscribe', clientId: client.id, topic: s.topic });
  });
  const sockets = new Set<Socket>();
  const server: Server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    broker,
    events,
    published: (type) =>
      events
        .filter((e) => e.kind === 'publish' && (!type || e.message?.json.type === type))
        .map((e) => e.message!),
    publish: (topic, message) =>
      new Promise<void>((resolve, reject) =>
        broker.publish(
          {
            cmd: 'publish',
            topic,
            payload: Buffer.from(JSON.stringify(message)),
            qos: 1,
            retain: false,
            dup: false,
          },
          (err) => (err ? reject(err) : resolve()),
        ),
      ),
    dropAll: () => {
      for (const s of sockets) s.destroy();
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    },
  };
}

/** A fresh temporary directory, and a function removing it. */
export async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tether-agent-test-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
