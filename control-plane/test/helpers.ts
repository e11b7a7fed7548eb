import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { Database } from 'better-sqlite3';
import { pino } from 'pino';
import { afterAll, beforeAll } from 'vitest';
import {
  advertTopic,
  decode,
  encode,
  inboxTopic,
  InboxMessageSchema,
  PROTOCOL_VERSION,
  type Clock,
  parseRequestTarget,
  type InboxMessage,
  type Route,
} from '@tether/shared';
import {
  AgentStore,
  openDatabase,
  startControlPlane,
  type ControlPlane,
  type ControlPlaneOptions,
} from '../src/index.js';
import { registerAgent } from '../src/agents/registration/register-agent.js';
import type { CallGateway } from '../src/http/gateway.js';

/** A logger that drops everything. */
export const silentLogger = pino({ level: 'silent' });

/** A temporary directory, removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tether-cp-test-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Two connections to one new SQLite file (this process's and "another process's"); `close` removes it all. */
export function twoConnections(): { db: Database; other: Database; close: () => void } {
  const { dir, cleanup } = tempDir();
  const file = join(dir, 'tether.db');
  const db = openDatabase(file);
  const other = openDatabase(file);
  return {
    db,
    other,
    close: () => {
      db.close();
      other.close();
      cleanup();
    },
  };
}

/** The `Authorization` header of the admin token a control plane wrote to its data dir on first start. */
export function adminAuth(dir: string): { authorization: string } {
  return { authorization: `Bearer ${readFileSync(join(dir, 'admin-token'), 'utf8').trim()}` };
}

/** Starts a control plane on port 0 in a fresh data dir. */
export async function startTestControlPlane(
  options: Partial<ControlPlaneOptions> = {},
): Promise<{ cp: ControlPlane; dir: string; stop: () => Promise<void> }> {
  const { dir, cleanup } = tempDir();
  const cp = await startControlPlane({
    dataDir: dir,
    mqttPort: 0,
    httpPort: 0,
    host: '127.0.0.1',
    logger: silentLogger,
    // No stats frames unless a test asks: they would interleave with the events tests expect in order.
    statsIntervalMs: 3_600_000,
    ...options,
  });
  return {
    cp,
    dir,
    stop: async () => {
      await cp.close();
      cleanup();
    },
  };
}

/** A control plane for one `describe` and its JSON API with the admin token. */
export interface TestApi {
  /** The running control plane (set once `beforeAll` ran). */
  readonly cp: ControlPlane;
  /** GET `path`, parsed JSON. */
  readonly get: <T>(path: string) => Promise<T>;
  /** Any method with an optional JSON body; the raw response. */
  readonly send: (method: string, path: string, body?: unknown) => Promise<Response>;
  /** The value of one sample of `/metrics` (`name` with its labels, as printed), or 0 when absent. */
  readonly metric: (sample: string) => Promise<number>;
}

/** Starts a control plane in `beforeAll` of the enclosing `describe` and stops it in `afterAll`. */
export function useTestControlPlane(options: Partial<ControlPlaneOptions> = {}): TestApi {
  let started: Awaited<ReturnType<typeof startTestControlPlane>> | undefined;
  beforeAll(async () => {
    started = await startTestControlPlane(options);
  });
  afterAll(() => started?.stop());
  const base = () => `http://127.0.0.1:${api.cp.ports.http}`;
  const headers = () => adminAuth(started!.dir);
  const api: TestApi = {
    get cp() {
      if (!started) throw new Error('the control plane starts in beforeAll');
      return started.cp;
    },
    get: async <T>(path: string) => (await (await fetch(base() + path, { headers: headers() })).json()) as T,
    send: (method, path, body) =>
      fetch(base() + path, {
        method,
        headers: body === undefined ? headers() : { ...headers(), 'content-type': 'application/json' },
        body: body === undefined ? null : JSON.stringify(body),
      }),
    metric: async (sample) => {
      const text = await (await fetch(`${base()}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
      return Number(line?.split(' ').at(-1) ?? 0);
    },
  };
  return api;
}

/** Registers an agent directly in the control plane's database. */
export function addAgent(cp: ControlPlane, id: string): string {
  return registerAgent(new AgentStore(cp.db), { id }, Date.now()).secret;
}

/** Waits until `predicate` holds, polling; fails after `ms`. */
export async function waitFor<T>(
  predicate: () => T | undefined | false,
  ms = 3000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** An MQTT.js agent connection that records its inbox. */
export interface TestAgent {
  client: MqttClient;
  inbox: InboxMessage[];
  publish(message: object | string): Promise<void>;
  next(type: InboxMessage['type'], ms?: number): Promise<InboxMessage>;
  end(): Promise<void>;
}

/** Connects a real MQTT.js client as agent `id` and subscribes to its inbox. */
export async function connectAgent(cp: ControlPlane, id: string, secret: string): Promise<TestAgent> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${cp.ports.mqtt!}`, {
    clientId: id,
    username: id,
    password: secret,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 3000,
  });
  (client.stream as { setNoDelay?: (b: boolean) => void }).setNoDelay?.(true);
  const inbox: InboxMessage[] = [];
  let seen = 0;
  client.on('message', (_topic, payload) => {
    const decoded = decode(InboxMessageSchema, payload);
    if (decoded.ok) inbox.push(decoded.message);
  });
  await client.subscribeAsync(inboxTopic(id), { qos: 1 });
  return {
    client,
    inbox,
    publish: async (message) => {
      await client.publishAsync(advertTopic(id), typeof message === 'string' ? message : encode(message), {
        qos: 1,
      });
    },
    next: async (type, ms = 3000) => {
      const found = await waitFor(
        () => {
          const i = inbox.findIndex((m, n) => n >= seen && m.type === type);
          return i >= 0 ? { i } : undefined;
        },
        ms,
        `inbox message ${type}`,
      );
      seen = found.i + 1;
      return inbox[found.i]!;
    },
    end: () => client.endAsync(),
  };
}

/** An edge route advertised by `origin`. */
export function edgeRoute(origin: string, service: string, address: string, metric = 1): Route {
  return {
    service,
    address,
    origin,
    originKind: 'local',
    site: 'site-a',
    labels: {},
    metric,
    state: 'active',
    version: 1,
  };
}

/** An advert snapshot message. */
export function snapshot(routes: Route[], epoch = 'e1', seq = 0): object {
  return {
    v: PROTOCOL_VERSION,
    type: 'advert-snapshot',
    epoch,
    seq,
    strategy: 'local',
    site: 'site-a',
    labels: { zone: 'a' },
    routes,
  };
}

/** A clock whose time and timers move only when told. */
export class ManualClock implements Clock {
  #now: number;
  #timers = new Map<number, { at: number; fn: () => void }>();
  #nextId = 1;

  constructor(start = 1_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.#now + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Moves time forward, running every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      const due = [...this.#timers.entries()]
        .filter(([, t]) => t.at <= end)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.#timers.delete(due[0]);
      this.#now = due[1].at;
      due[1].fn();
    }
    this.#now = end;
  }
}

/** Serves `gateway` on a free loopback port for a `describe`; `url()` is its `/call/svc/x`. */
export function serveGateway(gateway: CallGateway): { url: () => string } {
  const server = http.createServer((req, res) => gateway(req, res, parseRequestTarget(req.url ?? '/')));
  let url = '';
  beforeAll(async () => {
    server.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/call/svc/x`;
  });
  afterAll(() => void server.close());
  return { url: () => url };
}
