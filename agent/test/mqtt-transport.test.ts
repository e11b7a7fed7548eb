import { afterEach, describe, expect, it } from 'vitest';
import { ForbiddenError, TunnelClosedError, UnauthorizedError } from '@tether/shared';
import { MqttTransport } from '@tether/agent';
import { recordingClock, startBroker, waitFor, type TestBroker } from './helpers.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function broker(options: Parameters<typeof startBroker>[0] = {}): Promise<TestBroker> {
  const b = await startBroker(options);
  cleanups.push(() => b.close());
  return b;
}

function track(t: MqttTransport): MqttTransport {
  cleanups.push(() => t.close());
  return t;
}

describe('MqttTransport', () => {
  it('publishes and receives through a real broker', async () => {
    const b = await broker();
    const a = track(await MqttTransport.connect({ url: b.url, clientId: 'edge-a', password: 'x' }));
    const c = track(await MqttTransport.connect({ url: b.url, clientId: 'edge-c', password: 'x' }));
    expect(a.state).toBe('connected');
    const got: string[] = [];
    await c.subscribe('t/+/x', (topic, payload) => got.push(`${topic}:${Buffer.from(payload).toString()}`));
    await a.publish('t/1/x', 'hello', { qos: 1 });
    await a.publish('t/1/y', 'other', { qos: 1 });
    await waitFor(() => got.length >= 1, 'delivery');
    expect(got).toEqual(['t/1/x:hello']);
  });

  it('publishParts writes one QoS 0 message of the parts, in order with publishes; undefined when not connected', async () => {
    const b = await broker();
    const a = track(await MqttTransport.connect({ url: b.url, clientId: 'edge-p', password: 'x' }));
    const c = track(await MqttTransport.connect({ url: b.url, clientId: 'edge-q', password: 'x' }));
    const got: Buffer[] = [];
    await c.subscribe('p/x', (_t, payload) => got.push(Buffer.from(payload)), { qos: 0 });
    const small = [Buffer.from('he'), Buffer.from('llo')];
    const large = [Buffer.alloc(70_000, 1), Buffer.alloc(0), Buffer.alloc(5, 2)];
    const sent = a.stats.traffic;
    await a.publishParts('p/x', small, 5);
    await a.publish('p/x', 'between', { qos: 0 });
    await a.publishParts('p/x', large, 70_005);
    await waitFor(() => got.length === 3, 'delivery');
    expect(got.map((p) => p.byteLength)).toEqual([5, 7, 70_005]);
    expect(got[0]!.toString()).toBe('hello');
    expect(got[2]!.equals(Buffer.concat(large))).toBe(true);
    expect(a.stats.traffic.messagesOut - sent.messagesOut).toBe(3);
    expect(a.stats.traffic.bytesOut - sent.bytesOut).toBe(5 + 7 + 70_005);
    await a.close();
    expect(a.publishParts('p/x', small, 5)).toBeUndefined();
  });

  it('reconnects with growing backoff after drops and re-subscribes before telling listeners', async () => {
    const b = await broker();
    const clock = recordingClock();
    const t = track(
      MqttTransport.create({ url: b.url, clientId: 'edge-r', password: 'x', clock, random: () => 1 }),
    );
    let connects = 0;
    let disconnects = 0;
    const received: string[] = [];
    await t.subscribe('inbox/edge-r', (_t, p) => received.push(Buffer.from(p).toString()));
    t.onConnect(() => connects++);
    t.onDisconnect(() => disconnects++);
    await waitFor(() => connects === 1, 'first connect');
    b.dropAll();
    await waitFor(() => disconnects === 1 && t.state !== 'connected', 'disconnect');
    await expect(t.publish('x', 'y')).rejects.toBeInstanceOf(TunnelClosedError);
    await waitFor(() => connects === 2, 'reconnect');
    expect(t.stats.reconnects).toBeGreaterThanOrEqual(1);
    const subscribes = b.events.filter((e) => e.kind === 'subscribe' && e.clientId === 'edge-r');
    expect(subscribes).toHaveLength(2); // once per connection
    await b.publish('inbox/edge-r', { hi: 1 });
    await waitFor(() => received.length === 1, 'message after reconnect');
    expect(clock.delays[0]).toBe(500);
  });

  it('retries refused credentials slowly, shows unauthorized and logs the refusal once per attempt', async () => {
    const b = await broker({ refuse: 4 });
    const clock = recordingClock(30);
    const logged: string[] = [];
    const logger = { error: (_o: object, msg: string) => logged.push(msg), warn: () => {}, debug: () => {} };
    const t = track(
      MqttTransport.create({
        url: b.url,
        clientId: 'edge-u',
        password: 'wrong',
        clock,
        logger,
        random: () => 0,
      }),
    );
    await waitFor(() => clock.delays.length >= 3, 'three scheduled retries');
    expect(t.state).toBe('unauthorized');
    expect(clock.delays.slice(0, 3)).toEqual([5_000, 10_000, 20_000]); // 10 s base, half jitter at random 0
    expect(logged.length).toBeGreaterThanOrEqual(3);
    expect(logged.length).toBeLessThanOrEqual(clock.delays.length + 1);
    expect(logged[0]).toMatch(/control plane refused the credentials of agent edge-u/);
    expect(t.stats.lastError).toMatch(/Bad username or password/i);
  });

  it('keeps retrying with backoff while nothing listens', async () => {
    const b = await broker();
    const url = b.url;
    await b.close();
    const clock = recordingClock(5);
    const t = track(MqttTransport.create({ url, clientId: 'edge-x', password: 'x', clock, random: () => 1 }));
    await waitFor(() => clock.delays.length >= 3, 'three scheduled retries');
    expect(clock.delays.slice(0, 3)).toEqual([500, 1000, 2000]);
    expect(t.state).not.toBe('connected');
    expect(t.stats.lastError).toMatch(/ECONNREFUSED/);
  });

  it('connect() rejects with UnauthorizedError when the broker refuses', async () => {
    const b = await broker({ refuse: 5 });
    await expect(
      MqttTransport.connect({ url: b.url, clientId: 'edge-n', password: 'x' }),
    ).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('rejects a refused subscription with ForbiddenError', async () => {
    const b = await broker();
    b.broker.authorizeSubscribe = (_client, _sub, done) => done(null, null); // SUBACK 0x80
    const t = track(await MqttTransport.connect({ url: b.url, clientId: 'edge-f', password: 'x' }));
    const err = await t.subscribe('tether/v1/agents/other/inbox', () => {}).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/refused/);
    expect(err).toBeInstanceOf(ForbiddenError);
  });
});
