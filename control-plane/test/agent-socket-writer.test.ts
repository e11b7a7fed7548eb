import { once } from 'node:events';
import { connect, createServer, type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import type { MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inboxTopic, tunnelDownTopic } from '@tether/shared';
import { AgentSocketWriter } from '../src/broker/agent-socket-writer.js';
import type { ControlPlane } from '../src/index.js';
import { addAgent, connectAgent, startTestControlPlane, waitFor, type TestAgent } from './helpers.js';

/** The messages a client receives on any topic, in order. */
function collect(client: MqttClient): Array<{ topic: string; payload: Buffer }> {
  const got: Array<{ topic: string; payload: Buffer }> = [];
  client.on('message', (topic, payload) => got.push({ topic, payload }));
  return got;
}

describe('AgentSocketWriter (a real broker with its ACL hooks, agents over TCP)', () => {
  let cp: ControlPlane;
  let stop: () => Promise<void>;
  let a1: TestAgent;
  let a2: TestAgent;
  let writer: AgentSocketWriter;

  beforeAll(async () => {
    ({ cp, stop } = await startTestControlPlane());
    a1 = await connectAgent(cp, 'a1', addAgent(cp, 'a1'));
    a2 = await connectAgent(cp, 'a2', addAgent(cp, 'a2'));
    await a1.client.subscribeAsync([tunnelDownTopic('a1'), tunnelDownTopic('a1', '+')], { qos: 0 });
    // a2 tries to listen in on a1's tunnel: the subscribe ACL refuses every one of these filters.
    const refused = await a2.client
      .subscribeAsync([tunnelDownTopic('a1'), tunnelDownTopic('a1', '+'), '#'], { qos: 0 })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(refused).toBeInstanceOf(Error);
    writer = new AgentSocketWriter(cp.broker);
  });
  afterAll(async () => {
    await a2.client.endAsync(true);
    await stop();
  });

  it('writes a payload in parts as one message, never joined for a long one, and counts its bytes', async () => {
    const got = collect(a1.client);
    const bytesOut = async (): Promise<number> => {
      const text = await cp.metrics.registry.metrics();
      const line = /tether_mqtt_bytes_total\{direction="out"\} (\d+)/.exec(text);
      return Number(line?.[1] ?? 0);
    };
    const before = await bytesOut();
    const sizes = [
      [3, 5],
      [40_000, 30_000, 1],
    ];
    const sent = sizes.map((lengths, i) => lengths.map((n, j) => Buffer.alloc(n, 16 * i + j + 1)));
    for (const parts of sent) {
      const size = parts.reduce((n, p) => n + p.byteLength, 0);
      await writer.writeParts('a1', tunnelDownTopic('a1'), parts, size);
    }
    await waitFor(() => got.length === sent.length, 3000, 'the agent got every message');
    for (const [i, m] of got.entries()) expect(m.payload.equals(Buffer.concat(sent[i]!))).toBe(true);
    expect((await bytesOut()) - before).toBe(8 + 70_001);
  });

  it('writes onto the agent its own tunnel messages, byte for byte, on the bare and the per-replica topic', async () => {
    const got = collect(a1.client);
    const published: string[] = [];
    const onPublish = (packet: { topic: string }): void => void published.push(packet.topic);
    cp.broker.on('publish', onPublish);
    const sent = [0, 300, 70_000, 300_000].map((size, i) => ({
      topic: i % 2 === 0 ? tunnelDownTopic('a1') : tunnelDownTopic('a1', 'r-1'),
      payload: Buffer.alloc(size, i + 1),
    }));
    for (const { topic, payload } of sent) await writer.write('a1', topic, payload);
    await waitFor(() => got.length === sent.length, 3000, 'the agent got every message');
    cp.broker.off('publish', onPublish);
    expect(got.map((m) => m.topic)).toEqual(sent.map((m) => m.topic));
    for (const [i, m] of got.entries()) expect(m.payload.equals(sent[i]!.payload)).toBe(true);
    // Counted as the broker's own publishes are (traffic metrics).
    expect(published).toEqual(sent.map((m) => m.topic));
  });

  it('writes nothing where the subscribe ACL gave no subscription: the caller publishes through the broker', async () => {
    const got = collect(a2.client);
    const payload = Buffer.from('secret');
    expect(writer.write('a2', tunnelDownTopic('a1'), payload)).toBeUndefined();
    expect(writer.write('a2', tunnelDownTopic('a1', 'r-1'), payload)).toBeUndefined();
    expect(writer.write('a2', tunnelDownTopic('a2'), payload)).toBeUndefined(); // not subscribed to its own
    expect(writer.write('a1', inboxTopic('a2'), payload)).toBeUndefined();
    expect(writer.write('nobody', tunnelDownTopic('nobody'), payload)).toBeUndefined();
    // Its own inbox it did subscribe to: that the writer would write, so the refusals above are the ACL's doing.
    await writer.write('a2', inboxTopic('a2'), Buffer.from('{}'));
    await waitFor(() => got.length === 1, 3000, 'the inbox message');
    expect(got.map((m) => m.topic)).toEqual([inboxTopic('a2')]);
  });

  it('writes nothing to an agent whose connection is gone', async () => {
    const closed = new Promise((resolve) => cp.broker.once('clientDisconnect', resolve));
    await a1.client.endAsync(true);
    await closed;
    expect(writer.write('a1', tunnelDownTopic('a1'), Buffer.from('late'))).toBeUndefined();
  });
});

describe('AgentSocketWriter against a reader that stopped (raw TCP client, aedes drainTimeout 300 ms)', () => {
  it('waits while the socket is full, and resolves once aedes drops the connection that did not drain', async () => {
    const broker = await Aedes.createBroker({ drainTimeout: 300 });
    const server = createServer((socket) => broker.handle(socket));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(
      mqttPacket.generate({
        cmd: 'connect',
        clientId: 'slow',
        protocolVersion: 4,
        keepalive: 0,
        clean: true,
        protocolId: 'MQTT',
      }),
    );
    socket.write(
      mqttPacket.generate({
        cmd: 'subscribe',
        messageId: 1,
        subscriptions: [{ topic: tunnelDownTopic('slow'), qos: 0 }],
      }),
    );
    const writer = new AgentSocketWriter(broker);
    const subscribed = (): boolean => {
      const client = (broker as unknown as { clients: Record<string, { subscriptions: object }> }).clients
        .slow;
      return client !== undefined && tunnelDownTopic('slow') in client.subscriptions;
    };
    await waitFor(subscribed, 3000, 'the subscription');
    socket.pause(); // reads nothing from now on
    const chunk = Buffer.alloc(1024 * 1024);
    let pending: Promise<void> | undefined;
    for (let i = 0; i < 256 && pending === undefined; i++) {
      const written = writer.write('slow', tunnelDownTopic('slow'), chunk);
      expect(written).toBeDefined();
      let settled = false;
      void written!.then(() => (settled = true));
      await new Promise((resolve) => setImmediate(resolve));
      if (!settled) pending = written;
    }
    expect(pending, 'a write left waiting for the socket to drain').toBeDefined();
    const dropped = new Promise((resolve) => broker.once('clientDisconnect', resolve));
    await pending;
    await dropped;
    expect(writer.write('slow', tunnelDownTopic('slow'), chunk)).toBeUndefined();
    socket.destroy();
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    server.close();
  });
});
