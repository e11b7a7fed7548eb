import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counter } from '../helpers/cli.js';
import { rssBytes } from '../helpers/echo-service.js';
import { stopAll } from '../helpers/processes.js';
import { rawSocket } from '../helpers/raw-socket.js';
import { startControlPlane, type ControlPlane } from '../helpers/tether.js';
import { sleep } from '../helpers/wait.js';

const AGENT = 'fz';
const OWN_TOPICS = ['advert', 'status', 'reports', 'tunnel-up'].map((t) => `tether/v1/agents/${AGENT}/${t}`);

/** A packet from mqtt-packet's generator, or undefined when the random object is not encodable. */
function encode(packet: object): Buffer | undefined {
  try {
    return mqttPacket.generate(packet as mqttPacket.Packet, { protocolVersion: 4 });
  } catch {
    return undefined;
  }
}

/** Flips, truncates or duplicates bytes of an encoded packet. */
const mutated = (bytes: fc.Arbitrary<Buffer>) =>
  fc
    .tuple(bytes, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat())
    .map(([buf, flips, cut]) => {
      const out = Buffer.from(buf);
      for (const [at, value] of flips) if (out.length > 0) out[at % out.length] = value;
      return cut % 3 === 0 ? out.subarray(0, cut % (out.length + 1)) : out;
    });

const text = fc.string({ maxLength: 64 });
const randomPacket = fc.oneof(
  fc.record({
    cmd: fc.constant('connect'),
    protocolId: fc.constantFrom('MQTT', 'MQIsdp', 'XXXX'),
    protocolVersion: fc.constantFrom(3, 4, 5, 0),
    clientId: text,
    clean: fc.boolean(),
    keepalive: fc.integer({ min: 0, max: 65_535 }),
    username: fc.option(text, { nil: undefined }),
    password: fc.option(
      fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
      { nil: undefined },
    ),
  }),
  fc.record({
    cmd: fc.constant('publish'),
    topic: fc.oneof(text, fc.constantFrom(...OWN_TOPICS, '$SYS/x', 'tether/v1/agents/other/advert', '#')),
    payload: fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a)),
    qos: fc.constantFrom(0, 1, 2),
    messageId: fc.integer({ min: 1, max: 65_535 }),
    retain: fc.boolean(),
    dup: fc.boolean(),
  }),
  fc.record({
    cmd: fc.constant('subscribe'),
    messageId: fc.integer({ min: 1, max: 65_535 }),
    subscriptions: fc.array(fc.record({ topic: text, qos: fc.constantFrom(0, 1, 2) }), {
      minLength: 1,
      maxLength: 3,
    }),
  }),
  fc.constantFrom({ cmd: 'pingreq' }, { cmd: 'disconnect' }, { cmd: 'puback', messageId: 1 }),
);
const packetBytes = randomPacket.map(encode).filter((b): b is Buffer => b !== undefined);

/** Payloads an authenticated agent sends on its own topics: JSON-ish garbage and broken protocol messages. */
const payload = fc.oneof(
  fc.uint8Array({ maxLength: 2048 }).map((a) => Buffer.from(a)),
  fc.json({ maxDepth: 3 }).map((j) => Buffer.from(j)),
  fc
    .record({
      v: fc.constantFrom(1, 2),
      type: fc.constantFrom(
        'advert-snapshot',
        'advert-delta',
        'advert-digest',
        'report-batch',
        'agent-status',
      ),
      epoch: fc.anything(),
      seq: fc.anything(),
      routes: fc.array(fc.dictionary(text, fc.anything(), { maxKeys: 4 }), { maxLength: 3 }),
      reports: fc.array(fc.dictionary(text, fc.anything(), { maxKeys: 4 }), { maxLength: 3 }),
      agentId: fc.constantFrom(AGENT, 'other'),
    })
    .map((o) => Buffer.from(JSON.stringify(o))),
);

/** One attack: bytes on an unauthenticated socket, or a session of the real agent sending garbage on its topics. */
const attack = fc.oneof(
  fc.record({
    kind: fc.constant('raw' as const),
    chunks: fc.array(
      fc.oneof(
        packetBytes,
        mutated(packetBytes),
        fc.uint8Array({ maxLength: 1024 }).map((a) => Buffer.from(a)),
      ),
      { minLength: 1, maxLength: 4 },
    ),
  }),
  fc.record({
    kind: fc.constant('agent' as const),
    publishes: fc.array(
      fc.record({ topic: fc.constantFrom(...OWN_TOPICS), payload, qos: fc.constantFrom(0, 1) }),
      {
        minLength: 1,
        maxLength: 5,
      },
    ),
    tail: fc.option(
      fc.oneof(
        mutated(packetBytes),
        fc.uint8Array({ maxLength: 256 }).map((a) => Buffer.from(a)),
      ),
      { nil: undefined },
    ),
  }),
);

describe('fuzzing the broker with random and malformed packets (bounded)', () => {
  let cp: ControlPlane;
  let secret: string;

  beforeAll(async () => {
    cp = await startControlPlane({
      args: ['--log-level', 'error'],
      config: {
        limits: { connectRate: { perSecond: 10_000, burst: 10_000 }, quarantine: { denials: 10_000 } },
      },
    });
    secret = await cp.addAgent(AGENT);
  });
  afterAll(stopAll);

  it('stays up with bounded memory and stores nothing', async () => {
    const pid = cp.proc.child.pid!;
    const rssBefore = await rssBytes(pid);
    let messageId = 1;
    await fc.assert(
      fc.asyncProperty(attack, async (a) => {
        const s = await rawSocket(cp.mqttUrl);
        if (a.kind === 'raw') {
          for (const chunk of a.chunks) if (!s.isClosed()) s.socket.write(chunk);
        } else {
          const connect = encode({
            cmd: 'connect',
            protocolId: 'MQTT',
            protocolVersion: 4,
            clientId: AGENT,
            clean: true,
            keepalive: 30,
            username: AGENT,
            password: Buffer.from(secret),
          });
          s.socket.write(connect!);
          for (const p of a.publishes) {
            const bytes = encode({
              cmd: 'publish',
              topic: p.topic,
              payload: p.payload,
              qos: p.qos,
              messageId: (messageId = (messageId % 65_000) + 1),
              retain: false,
              dup: false,
            });
            if (bytes && !s.isClosed()) s.socket.write(bytes);
          }
          if (a.tail && !s.isClosed()) s.socket.write(a.tail);
        }
        await sleep(5);
        s.socket.destroy();
        return true;
      }),
      {
        numRuns: 300,
        interruptAfterTimeLimit: 25_000,
        seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31),
      },
    );
    await sleep(500);
    expect((await fetch(`${cp.apiBase}/healthz`)).status).toBe(200);
    expect(cp.proc.child.exitCode).toBeNull();
    const growth = (await rssBytes(pid)) - rssBefore;
    expect(growth).toBeLessThan(128 * 1024 * 1024);
    expect((await cp.api<{ routes: unknown[] }>('/api/v1/routes')).body.routes).toEqual([]);
    expect((await cp.api<{ reports: unknown[] }>('/api/v1/reports')).body.reports).toEqual([]);
    // The garbage did reach the ingress (so the property tested something), refused and counted there.
    const metrics = await (await fetch(`${cp.apiBase}/metrics`)).text();
    const refused =
      counter(metrics, 'tether_invalid_messages_total') +
      counter(metrics, 'tether_invalid_report_batches_total');
    expect(refused).toBeGreaterThan(0);
    const agents = (await cp.api<{ agents: { id: string }[] }>('/api/v1/agents')).body.agents;
    expect(agents.map((x) => x.id)).toEqual([AGENT]);
  });
});
