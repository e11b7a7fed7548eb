import { createServer, type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import { MqttTransport } from '@tether/agent';
import { AedesTransport } from '@tether/control-plane';
import { describeTransportContract } from './transport.contract.js';

/** A bare aedes broker on a free loopback port (no auth: the contract is about delivery). */
async function startBroker(): Promise<{ broker: Aedes; url: string; close(): Promise<void> }> {
  const broker = await Aedes.createBroker();
  const server = createServer({ noDelay: true }, (socket) => broker.handle(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    broker,
    url,
    close: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describeTransportContract('AedesTransport (in-process)', async () => {
  const b = await startBroker();
  return { open: async () => new AedesTransport(b.broker), close: () => b.close() };
});

describeTransportContract('MqttTransport (MQTT.js over TCP)', async () => {
  const b = await startBroker();
  return {
    open: (name) => MqttTransport.connect({ url: b.url, clientId: `contract-${name}` }),
    close: () => b.close(),
  };
});
