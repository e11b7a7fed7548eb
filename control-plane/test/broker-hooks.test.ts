import type { Client, PublishPacket, Subscription } from 'aedes';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advertTopic, inboxTopic, statusTopic, systemClock, type RouteTable } from '@tether/shared';
import { AuditLog } from '../src/audit/audit-log.js';
import { createAuthorizePublish } from '../src/broker/authorize-publish.js';
import { createAuthorizeSubscribe } from '../src/broker/authorize-subscribe.js';
import { DenialTracker } from '../src/broker/denial-tracker.js';
import { DEFAULT_BROKER_LIMITS } from '../src/broker/limits.js';
import { PublishRateLimiter } from '../src/broker/publish-rate-limit.js';
import { Metrics, openDatabase, type ControlPlane } from '../src/index.js';
import { addAgent, connectAgent, silentLogger, startTestControlPlane } from './helpers.js';

const client = (id: string) => ({ id, conn: {} }) as Client;
const packet = (topic: string) =>
  ({ cmd: 'publish', topic, payload: Buffer.alloc(0), qos: 1, retain: false, dup: false }) as PublishPacket;

/** The hooks' dependencies, real but in memory. */
function hookDeps() {
  const metrics = new Metrics({ routes: () => ({}) as RouteTable, connections: () => 0 });
  const audit = new AuditLog({ db: openDatabase(':memory:'), clock: systemClock });
  return {
    metrics,
    audit,
    logger: silentLogger,
    clock: systemClock,
    limiter: new PublishRateLimiter(DEFAULT_BROKER_LIMITS, systemClock),
    denials: new DenialTracker(DEFAULT_BROKER_LIMITS.quarantine, systemClock),
    sourceOf: () => '127.0.0.1',
  };
}

function publishAllowed(c: Client | null, topic: string): Promise<boolean> {
  return new Promise((resolve) =>
    createAuthorizePublish(hookDeps())(c, packet(topic), (err) => resolve(!err)),
  );
}

function subscribeGranted(c: Client, topic: string): Promise<Subscription | null | undefined> {
  return new Promise((resolve) =>
    createAuthorizeSubscribe(hookDeps())(c, { topic, qos: 1 }, (_err, sub) => resolve(sub)),
  );
}

describe('authorize hooks (deny by default)', () => {
  it('lets an agent publish only to its own advert and status topics', async () => {
    expect(await publishAllowed(client('a1'), advertTopic('a1'))).toBe(true);
    expect(await publishAllowed(client('a1'), statusTopic('a1'))).toBe(true);
    expect(await publishAllowed(client('a1'), advertTopic('a2'))).toBe(false);
    expect(await publishAllowed(client('a1'), inboxTopic('a1'))).toBe(false);
    expect(await publishAllowed(client('a1'), 'tether/v1/agents/+/advert')).toBe(false);
    expect(await publishAllowed(null, inboxTopic('a1'))).toBe(true);
  });

  it('lets an agent subscribe only to its own inbox, without wildcards', async () => {
    expect(await subscribeGranted(client('a1'), inboxTopic('a1'))).toEqual({
      topic: inboxTopic('a1'),
      qos: 1,
    });
    expect(await subscribeGranted(client('a1'), inboxTopic('a2'))).toBeNull();
    expect(await subscribeGranted(client('a1'), 'tether/v1/agents/+/inbox')).toBeNull();
    expect(await subscribeGranted(client('a1'), '#')).toBeNull();
  });
});

describe('authenticate hook over real MQTT connections', () => {
  let cp: ControlPlane;
  let stop: () => Promise<void>;
  let secret: string;

  beforeAll(async () => {
    ({ cp, stop } = await startTestControlPlane());
    secret = addAgent(cp, 'edge-1');
  });
  afterAll(() => stop());

  async function connectCode(opts: {
    clientId: string;
    username?: string;
    password?: string;
  }): Promise<number> {
    const c = mqtt.connect(`mqtt://127.0.0.1:${cp.ports.mqtt!}`, {
      ...opts,
      reconnectPeriod: 0,
      connectTimeout: 3000,
    });
    try {
      return await new Promise<number>((resolve, reject) => {
        c.once('connect', () => resolve(0));
        c.once('error', (err) => {
          const code = (err as { code?: unknown }).code;
          return typeof code === 'number' ? resolve(code) : reject(err);
        });
      });
    } finally {
      await c.endAsync(true);
    }
  }

  const failures = async (reason: string) =>
    (await cp.metrics.authFailures.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;

  it('accepts the right secret with client id = username', async () => {
    expect(await connectCode({ clientId: 'edge-1', username: 'edge-1', password: secret })).toBe(0);
  });

  it('refuses a wrong secret, a foreign client id and an unknown agent, and counts them', async () => {
    expect(await connectCode({ clientId: 'edge-1', username: 'edge-1', password: `${secret}x` })).toBe(4);
    expect(await connectCode({ clientId: 'other', username: 'edge-1', password: secret })).toBe(5);
    expect(await connectCode({ clientId: 'ghost', username: 'ghost', password: secret })).toBe(4);
    expect(await connectCode({ clientId: 'edge-1' })).toBe(4);
    expect(await failures('bad_secret')).toBe(1);
    expect(await failures('client_id_mismatch')).toBe(1);
    expect(await failures('unknown_agent')).toBe(1);
    expect(await failures('missing_credentials')).toBe(1);
  });

  it('refuses a subscription to another agent inbox with SUBACK 128', async () => {
    addAgent(cp, 'edge-2');
    const agent = await connectAgent(cp, 'edge-1', secret);
    try {
      // MQTT.js turns a SUBACK return code of 128 into this rejection.
      await expect(agent.client.subscribeAsync(inboxTopic('edge-2'), { qos: 1 })).rejects.toThrow(
        /Subscribe error/,
      );
      expect(agent.client.connected).toBe(true);
    } finally {
      await agent.end();
    }
  });
});
