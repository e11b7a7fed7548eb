/**
 * A worker process simulating many agents cheaply: one raw MQTT.js connection each, speaking the sync
 * protocol directly. Driven by its parent over IPC (see convergence.ts).
 */
import mqtt, { type MqttClient } from 'mqtt';
import {
  advertTopic,
  decode,
  encode,
  inboxTopic,
  InboxMessageSchema,
  PROTOCOL_VERSION,
  statusTopic,
  type Route,
} from '@tether/shared';

/** Messages the parent sends. */
export type ToWorker =
  | { cmd: 'connect'; url: string; agents: { id: string; secret: string }[]; services: number }
  | { cmd: 'register'; spreadMs: number }
  | { cmd: 'watch'; service: string }
  | { cmd: 'collect' }
  | { cmd: 'stop' };

/** Messages a worker sends back. */
export type FromWorker =
  | { evt: 'connected'; count: number; ms: number }
  | { evt: 'registered'; sentAt: Record<string, number> }
  | { evt: 'watching' }
  | { evt: 'arrived'; service: string; at: number[] };

const now = (): number => performance.timeOrigin + performance.now();
const send = (m: FromWorker): void => void process.send!(m);

interface Sim {
  id: string;
  client: MqttClient;
  synced: boolean;
}
const sims: Sim[] = [];
let serviceCount = 10;
let watched: { service: string; at: Map<string, number> } | undefined;

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

function connectOne(url: string, id: string, secret: string): Promise<Sim> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, {
      clientId: id,
      username: id,
      password: secret,
      reconnectPeriod: 0,
      keepalive: 60,
      protocolVersion: 4,
      connectTimeout: 30_000,
    });
    const sim: Sim = { id, client, synced: false };
    client.once('error', reject);
    client.on('message', (_topic, payload) => {
      const arrived = now();
      const decoded = decode(InboxMessageSchema, payload);
      if (!decoded.ok || decoded.message.type !== 'agent-routes') return;
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
      (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
      void (async () => {
        await client.subscribeAsync(inboxTopic(id), { qos: 1 });
        await client.publishAsync(
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
        await client.publishAsync(
          advertTopic(id),
          encode({
            v: PROTOCOL_VERSION,
            type: 'advert-snapshot',
            epoch: 'sim',
            seq: 0,
            strategy: 'local',
            site: 'sim',
            labels: {},
            routes: [],
          }),
          { qos: 1 },
        );
        resolve(sim);
      })().catch(reject);
    });
  });
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
        const started = now();
        // Connect in waves of 50 so the simulator itself does not storm the broker.
        for (let i = 0; i < m.agents.length; i += 50) {
          const wave = m.agents.slice(i, i + 50);
          sims.push(...(await Promise.all(wave.map((a) => connectOne(m.url, a.id, a.secret)))));
        }
        await waitUntil(() => sims.every((s) => s.synced), 60_000);
        send({ evt: 'connected', count: sims.length, ms: now() - started });
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
