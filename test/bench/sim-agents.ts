/**
 * A worker process simulating many agents cheaply: one bare MQTT connection each (lite-mqtt.ts), speaking the
 * sync protocol directly (the messages: sim-agent-messages.ts; the backoff and pacing: sim-pacing.ts). Driven by
 * its parent over IPC (see convergence.ts).
 */
import { advertTopic, decode, inboxTopic, InboxMessageSchema, statusTopic } from '@tether/shared';
import { LiteClient } from './lite-mqtt.js';
import { AgentMessages } from './sim-agent-messages.js';
import { pooled, retryDelay, waitUntil } from './sim-pacing.js';

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
const messages = new AgentMessages();
const sims: Sim[] = [];
let watched: { service: string; at: Map<string, number> } | undefined;

/** One agent's connection: subscribed to its inbox, its status and advert (a resume if `resume` and it can) sent. */
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
        client.publish(advertTopic(id), messages.snapshot(id), { qos: 1 });
        return;
      }
      if (!decoded.ok || decoded.message.type !== 'agent-routes') return;
      messages.heard(id, decoded.message.protocol ?? 1, {
        epoch: decoded.message.epoch,
        seq: decoded.message.seq,
      });
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
        const statusSent = client.publishAsync(statusTopic(id), messages.status(id), {
          qos: 1,
          retain: true,
        });
        onSnapshot?.(now());
        const advert = (resume ? messages.resume(id) : undefined) ?? messages.snapshot(id);
        await Promise.all([statusSent, client.publishAsync(advertTopic(id), advert, { qos: 1 })]);
        resolve(sim);
      })().catch(reject);
    });
  });
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

process.on('message', (raw) => {
  const m = raw as ToWorker;
  void (async () => {
    switch (m.cmd) {
      case 'connect': {
        messages.services = m.services;
        messages.withRoutes = m.withRoutes ?? false;
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
          const upserts = messages.routes(sim.id);
          sentAt[sim.id] = now();
          sim.client.publish(advertTopic(sim.id), messages.delta(upserts), { qos: 1 });
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
