import { once } from 'node:events';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentMayPublish, tunnelUpTopic } from '@tether/shared';
import { LocalFirstEmitter } from '../src/broker/local-first-emitter.js';
import { waitFor } from './helpers.js';

interface Seen {
  clientId: string;
  topic: string;
  payload: string;
}

describe('LocalFirstEmitter (aedes with the publish ACL, MQTT.js clients over TCP)', () => {
  let broker: Aedes;
  let server: Server;
  let local: LocalFirstEmitter;
  const clients: MqttClient[] = [];
  const taken: Seen[] = [];
  const emitted: string[] = [];
  const published: string[] = [];
  let take = true;

  const connect = async (id: string): Promise<MqttClient> => {
    const port = (server.address() as AddressInfo).port;
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
      clientId: id,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    broker = await Aedes.createBroker({
      authorizePublish: (client, packet, callback) =>
        callback(client === null || agentMayPublish(client.id, packet.topic) ? null : new Error('denied')),
    });
    local = LocalFirstEmitter.install(broker);
    local.receive((clientId, topic, payload) => {
      if (!take) return false;
      taken.push({ clientId, topic, payload: payload.toString() });
      return true;
    });
    broker.subscribe(
      'tether/#',
      (packet, done) => {
        emitted.push(packet.topic);
        done();
      },
      () => undefined,
    );
    broker.on('publish', (packet) => void published.push(packet.topic));
    server = createServer((socket) => broker.handle(socket));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  });
  afterAll(async () => {
    for (const client of clients) await client.endAsync(true);
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    server.close();
  });

  it("hands a client's publish to the receiver, not the emitter; the broker still reports it published", async () => {
    const a1 = await connect('a1');
    await a1.publishAsync(tunnelUpTopic('a1'), 'one', { qos: 1 });
    await waitFor(() => taken.length === 1, 3000, 'the receiver got it');
    expect(taken).toEqual([{ clientId: 'a1', topic: tunnelUpTopic('a1'), payload: 'one' }]);
    expect(emitted).toEqual([]);
    expect(published).toContain(tunnelUpTopic('a1'));
  });

  it('leaves to the emitter what the receiver does not take, and never sees the broker’s own publishes', async () => {
    const a1 = clients[0]!;
    taken.length = 0;
    take = false;
    await a1.publishAsync(tunnelUpTopic('a1'), 'two', { qos: 1 });
    take = true;
    await new Promise<void>((resolve) =>
      broker.publish(
        {
          cmd: 'publish',
          topic: 'tether/v1/hub',
          payload: Buffer.from('x'),
          qos: 0,
          retain: false,
          dup: false,
        },
        () => resolve(),
      ),
    );
    await waitFor(() => emitted.length === 2, 3000, 'both emitted');
    expect(emitted).toEqual([tunnelUpTopic('a1'), 'tether/v1/hub']);
    expect(taken).toEqual([]);
  });

  it('never offers a publish the ACL refused (another agent’s tunnel): the client is disconnected instead', async () => {
    const a2 = await connect('a2');
    const closed = new Promise<void>((resolve) => a2.once('close', () => resolve()));
    a2.publish(tunnelUpTopic('a1'), 'forged', { qos: 1 });
    await closed;
    expect(taken).toEqual([]);
    expect(emitted).toHaveLength(2);
  });
});
