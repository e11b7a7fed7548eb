/**
 * A worker process simulating many agents cheaply: one bare MQTT connection each (lite-mqtt.ts), speaking the
 * sync protocol directly. Driven by its parent over IPC (see convergence.ts).
 */
import { LiteClient } from './lite-mqtt.js';
import {
  advertTopic,
  decode,
  encode,
  inboxTopic,
  InboxMessageSchema,
  PROTOCOL_VERSION,
  RESUME_PROTOCOL_VERSION,
  routesDigest,
  statusTopic,
  type Route,
} from '@tether/shared';

/** Messages the parent sends. */
export type ToWorker =
  | {
      cmd: 'connect';
      url: string;
      agents: { id: string; secret: string }[];
      services: number;
      /** Advertise the routes in the first snapshot (bench:scale) instead of a later delta. */
      withRoutes?: boolean;
      /** Connects in flight at once (default 100). */
      window?: number;
    }
  | { cmd: 'flap'; perMinute: number; durationMs: number }
  | { cmd: 'failover'; url: string; spreadMs: number }
  | { cmd: 'register'; spreadMs: number }
  | { cmd: 'watch'; service: string }
  | { cmd: 'collect' }
  | { cmd: 'stop' };

/** Messages a worker sends back. */
export type FromWorker =
  | { evt: 'connected'; count: number; ms: number }
  | { evt: 'registered'; sentAt: Record<string, number> }
  | { evt: 'watching' }
  | { evt: 'arrived'; service: string; at: number[] }
  | { evt: 'flapped'; sentAt: [string, number][] }
  | { evt: 'failedOver'; count: number; ms: number };

const now = (): number => performance.timeOrigin + performance.now();
const send = (m: FromWorker): void => void process.send!(m);

interface Sim {
  id: string;
  secret: string;
  url: string;
  client: LiteClient;
  synced: boolean;
  closed: boolean;
}
let withRoutes = false;
let epochs = 0;
const sims: Sim[] = [];
let serviceCount = 10;
let watched: { service: string; at: Map<string, number> } | undefined;
/** Per agent, across its connections: its epoch, the protocol the hub offered, the hub's epoch and seq. */
const positions = new Map<
  string,
  { epoch: string; protocol: number; central?: { epoch: string; seq: number } }
>();

function advertised(id: string): Route[] {
  return withRoutes ? Array.from({ length: serviceCount }, (_, i) => route(id, i)) : [];
}

/** An `advert-snapshot` in a new epoch (remembered for a later resume). */
function snapshotOf(id: string): string {
  const epoch = withRoutes ? `sim-${++epochs}` : 'sim';
  positions.set(id, { epoch, protocol: positions.get(id)?.protocol ?? 1 });
  const routes = advertised(id);
  return encode({
    v: PROTOCOL_VERSION,
    type: 'advert-snapshot',
    epoch,
    seq: 0,
    strategy: 'local',
    site: 'sim',
    labels: {},
    routes,
  });
}

/** An `advert-resume` when the hub offered protocol 3 and the agent has an epoch, as the real agent does. */
function resumeOf(id: string): string | undefined {
  const p = positions.get(id);
  if (!p || p.protocol < RESUME_PROTOCOL_VERSION || !p.central) return undefined;
  const routes = advertised(id);
  return encode({
    v: PROTOCOL_VERSION,
    type: 'advert-resume',
    epoch: p.epoch,
    seq: 0,
    digest: routesDigest(routes),
    count: routes.length,
    strategy: 'local',
    site: 'sim',
    labels: {},
    central: { ...p.central, digest: routesDigest([]), count: 0 },
  });
}

function route(id: string, i: number): Route {
  return {
    service: `svc-${i}`,
    address: `http://10.0.${i}.1:8080/${id}`,
    origin: id,
    originKind: 'local',
    site: 'sim',
    labels: {},
    metric: 1,
    state: 'active',
    version: 1,
  };
}

function connectOne(
  url: string,
  id: string,
  secret: string,
  onSnapshot?: (at: number) => void,
  resume = false,
): Promise<Sim> {
  return new Promise((resolve, reject) => {
    const client = new LiteClient(url, { clientId: id, username: id, password: secret, keepalive: 60 });
    const sim: Sim = { id, secret, url, client, synced: false, closed: false };
    client.once('error', reject);
    client.once('close', () => {
      sim.closed = true;
      // Closed before CONNACK (e.g. refused by the admission rate): the caller backs off and retries.
      reject(new Error('connection closed before it was accepted'));
    });
    client.on('message', (_topic: string, payload: Buffer) => {
      const arrived = now();
      const decoded = decode(InboxMessageSchema, payload);
      if (decoded.ok && decoded.message.type === 'resync-request') {
        client.publish(advertTopic(id), snapshotOf(id), { qos: 1 });
        return;
      }
      if (!decoded.ok || decoded.message.type !== 'agent-routes') return;
      const p = positions.get(id);
      if (p) {
        p.protocol = decoded.message.protocol ?? 1;
        p.central = { epoch: decoded.message.epoch, seq: decoded.message.seq };
      }
      sim.synced = true;
      if (
        watched &&
        !watched.at.has(id) &&
        decoded.message.upserts.some((r) => r.service === watched!.service)
      ) {
        watched.at.set(id, arrived);
      }
    });
    client.once('connect', () => {
      void (async () => {
        await client.subscribeAsync(inboxTopic(id), { qos: 1 });
        // As the agent does (Advertiser.connected): the status and the advert at once, the advert not waiting for
        // the status's PUBACK (the hub's two PUBACKs then leave in one write, as they do for a real agent).
        const statusSent = client.publishAsync(
          statusTopic(id),
          encode({
            v: PROTOCOL_VERSION,
            type: 'agent-status',
            agentId: id,
            status: 'online',
            strategy: 'local',
            site: 'sim',
            labels: {},
            at: Date.now(),
          }),
          { qos: 1, retain: true },
        );
        onSnapshot?.(now());
        await Promise.all([
          statusSent,
          client.publishAsync(advertTopic(id), (resume ? resumeOf(id) : undefined) ?? snapshotOf(id), {
            qos: 1,
          }),
        ]);
        resolve(sim);
      })().catch(reject);
    });
  });
}

/** The agent's backoff curves (agent/src/link/reconnect-scheduler.ts), equal jitter: half the ceiling or more. */
const BACKOFF = { lost: { baseMs: 500, capMs: 30_000 }, busy: { baseMs: 1_000, capMs: 10_000 } };

/** The delay before attempt `attempt + 1` after `err`: the busy curve for CONNACK 3 (admission), else lost. */
function retryDelay(err: unknown, attempts: { lost: number; busy: number }): number {
  const kind = (err as { code?: unknown }).code === 3 ? 'busy' : 'lost';
  const { baseMs, capMs } = BACKOFF[kind];
  const ceiling = Math.min(capMs, baseMs * 2 ** attempts[kind]++);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** connectOne, retried on the agent's backoff when refused or reset. */
async function connectRetrying(url: string, id: string, secret: string): Promise<Sim> {
  const attempts = { lost: 0, busy: 0 };
  for (let attempt = 0; ; attempt++) {
    try {
      return await connectOne(url, id, secret);
    } catch (err) {
      if (attempt >= 40) throw err;
      await new Promise((r) => setTimeout(r, retryDelay(err, attempts)));
    }
  }
}

/** Runs `fn` over `items` with at most `window` at once (an agent's connect is a few round trips). */
async function pooled<T, R>(items: T[], window: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, items.length) }, lane));
  return out;
}

async function waitUntil(pred: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('worker wait timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

process.on('message', (raw) => {
  const m = raw as ToWorker;
  void (async () => {
    switch (m.cmd) {
      case 'connect': {
        serviceCount = m.services;
        withRoutes = m.withRoutes ?? false;
        const started = now();
        // At most `window` connects in flight per worker, each started as soon as another finished.
        sims.push(
          ...(await pooled(m.agents, m.window ?? 100, (a) => connectRetrying(m.url, a.id, a.secret))),
        );
        await waitUntil(() => sims.every((s) => s.synced), 60_000);
        send({ evt: 'connected', count: sims.length, ms: now() - started });
        break;
      }
      case 'flap': {
        // `perMinute` agents a minute drop their connection and come back at once with a new snapshot.
        const sentAt: [string, number][] = [];
        const gap = 60_000 / Math.max(1, m.perMinute);
        const until = Date.now() + m.durationMs;
        while (Date.now() < until) {
          const i = Math.floor(Math.random() * sims.length);
          const old = sims[i]!;
          await old.client.endAsync(true);
          sims[i] = await connectOne(old.url, old.id, old.secret, (at) => sentAt.push([old.id, at]));
          await new Promise((r) => setTimeout(r, gap));
        }
        send({ evt: 'flapped', sentAt });
        break;
      }
      case 'failover': {
        // Every agent whose connection died dials the survivor after a random delay (the agent's jittered backoff).
        const started = now();
        // Those that were on another replica (the dead one): some sockets may not have seen the close yet.
        const lost = sims.map((s, i) => [s, i] as const).filter(([s]) => s.url !== m.url);
        const redial = async (i: number, spreadMs: number): Promise<void> => {
          const s = sims[i]!;
          await s.client.endAsync(true).catch(() => undefined);
          // The first dial is spread over `spreadMs`; a refused one retries on the agent's own schedule (the busy
          // curve after CONNACK 3, else the lost one), which is what stretches the tail of a storm.
          await new Promise((r) => setTimeout(r, Math.random() * spreadMs));
          const attempts = { lost: 0, busy: 0 };
          for (let attempt = 0; attempt < 40; attempt++) {
            try {
              const sim = await connectOne(m.url, s.id, s.secret, undefined, true);
              sims[i] = sim;
              await waitUntil(() => sim.synced || sim.closed, 60_000).catch(() => undefined);
              if (sim.synced && !sim.closed) return;
              await new Promise((r) => setTimeout(r, retryDelay(new Error('closed'), attempts)));
            } catch (err) {
              // refused (admission) or reset: back off and retry
              await new Promise((r) => setTimeout(r, retryDelay(err, attempts)));
            }
          }
        };
        await Promise.all(lost.map(([, i]) => redial(i, m.spreadMs)));
        // A connection closed after it was accepted (under load a slower, abandoned attempt of the same id can take
        // it over) is redialled: an agent redials whatever closed its link.
        for (let round = 0; round < 5; round++) {
          await new Promise((r) => setTimeout(r, 500));
          const closed = sims.flatMap((s, i) => (s.closed || !s.synced ? [i] : []));
          if (closed.length === 0) break;
          await Promise.all(closed.map((i) => redial(i, 500)));
        }
        await waitUntil(() => sims.every((s) => s.synced && !s.closed), 120_000).catch((err: unknown) => {
          const unsynced = sims.filter((s) => !s.synced).length;
          const closed = sims.filter((s) => s.closed).length;
          console.error(`failover: ${unsynced} not synced, ${closed} closed of ${sims.length}`);
          throw err;
        });
        send({ evt: 'failedOver', count: lost.length, ms: now() - started });
        break;
      }
      case 'register': {
        const sentAt: Record<string, number> = {};
        const gap = m.spreadMs / Math.max(1, sims.length);
        for (const sim of sims) {
          const upserts = Array.from({ length: serviceCount }, (_, i) => route(sim.id, i));
          sentAt[sim.id] = now();
          sim.client.publish(
            advertTopic(sim.id),
            encode({ v: PROTOCOL_VERSION, type: 'advert-delta', epoch: 'sim', seq: 1, upserts, removes: [] }),
            { qos: 1 },
          );
          if (gap >= 1) await new Promise((r) => setTimeout(r, gap));
        }
        send({ evt: 'registered', sentAt });
        break;
      }
      case 'watch': {
        watched = { service: m.service, at: new Map() };
        send({ evt: 'watching' });
        break;
      }
      case 'collect': {
        await waitUntil(() => watched!.at.size === sims.length, 60_000).catch(() => undefined);
        send({ evt: 'arrived', service: watched!.service, at: [...watched!.at.values()] });
        break;
      }
      case 'stop':
        await Promise.all(sims.map((s) => s.client.endAsync(true)));
        process.exit(0);
    }
  })().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
});
