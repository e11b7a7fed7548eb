/**
 * `pnpm bench:tunnel [--seconds 1.5]`
 *
 * One run, against the same small node:http echo service, bodies of 256 B and 64 KiB:
 * (a) direct HTTP; (b) raw MQTT request/response through aedes with TCP_NODELAY (two MQTT.js clients, own
 * envelope); (c) Tether's TunnelEndpoint pair over aedes (hub side in-process, agent side MQTT.js), no HTTP;
 * (d) the full call: HTTP -> control plane gateway -> tunnel -> agent -> HTTP service; (e) NATS across a leaf
 * node when `nats-server` is on PATH (skipped otherwise). Sequential p50/p99, then req/s with 64 in flight.
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createHttpServer, Agent, request } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { MqttTransport } from '@tether/agent';
import { AedesTransport } from '@tether/control-plane';
import { TunnelEndpoint, tunnelDownTopic, tunnelUpTopic, type Transport } from '@tether/shared';
import { stopAll } from '../helpers/processes.js';
import { startControlPlane, startEdge } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';
import { quantile } from './stats.js';

const { values: opts } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: { seconds: { type: 'string', default: '1.5' } },
});
const SECONDS = Number(opts.seconds);
const IN_FLIGHT = 64;
type Call = (body: Buffer) => Promise<number>;
interface Result {
  p50: number;
  p99: number;
  rps: number;
}

async function measure(call: Call, body: Buffer): Promise<Result> {
  for (let i = 0; i < 200; i++) await call(body); // warm-up
  const lat: number[] = [];
  let end = performance.now() + SECONDS * 1000;
  while (performance.now() < end) {
    const t = performance.now();
    await call(body);
    lat.push(performance.now() - t);
  }
  let done = 0;
  end = performance.now() + SECONDS * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < end) {
        await call(body);
        done++;
      }
    }),
  );
  return {
    p50: quantile(lat, 0.5),
    p99: quantile(lat, 0.99),
    rps: done / ((performance.now() - start) / 1000),
  };
}

function httpCaller(url: string, token?: string): Call {
  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const u = new URL(url);
  return (body) =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          host: u.hostname,
          port: u.port,
          path: u.pathname,
          method: 'POST',
          agent,
          headers: {
            'content-length': body.length,
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
        },
        (res) => {
          let n = 0;
          res.on('data', (d: Buffer) => (n += d.length));
          res.on('end', () =>
            res.statusCode === 200 ? resolve(n) : reject(new Error(`status ${res.statusCode}`)),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
}

async function connectMqtt(url: string, clientId: string): Promise<mqtt.MqttClient> {
  const client = mqtt.connect(url, { clientId, protocolVersion: 4, reconnectPeriod: 0 });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => {
      // MQTT.js has no option for TCP_NODELAY (field notes): set it on every connect.
      (client.stream as unknown as { setNoDelay(b: boolean): void }).setNoDelay(true);
      resolve();
    });
    client.once('error', reject);
  });
  return client;
}

/** (b) Raw MQTT request/response: a 4-byte id envelope; the responder echoes the payload. */
async function rawMqtt(url: string): Promise<{ call: Call; close(): Promise<void> }> {
  const responder = await connectMqtt(url, 'bench-responder');
  const requester = await connectMqtt(url, 'bench-requester');
  await responder.subscribeAsync('bench/req', { qos: 0 });
  responder.on('message', (_t, payload) => responder.publish('bench/res', payload, { qos: 0 }));
  await requester.subscribeAsync('bench/res', { qos: 0 });
  const pending = new Map<number, (n: number) => void>();
  requester.on('message', (_t, payload) => {
    const id = payload.readUInt32BE(0);
    pending.get(id)?.(payload.length - 4);
    pending.delete(id);
  });
  let next = 0;
  return {
    call: (body) =>
      new Promise((resolve) => {
        const id = ++next >>> 0;
        const msg = Buffer.allocUnsafe(body.length + 4);
        msg.writeUInt32BE(id, 0);
        body.copy(msg, 4);
        pending.set(id, resolve);
        requester.publish('bench/req', msg, { qos: 0 });
      }),
    close: async () => {
      await Promise.all([responder.endAsync(), requester.endAsync()]);
    },
  };
}

/** (c) Tether's tunnel: hub endpoint over the in-process aedes transport, agent endpoint over MQTT.js. */
async function tunnelPair(broker: Aedes, url: string): Promise<{ call: Call; close(): Promise<void> }> {
  const hubTransport: Transport = new AedesTransport(broker);
  const agentTransport = await MqttTransport.connect({ url, clientId: 'bench-agent' });
  const hub = new TunnelEndpoint({
    transport: hubTransport,
    sendTopic: tunnelDownTopic('bench-agent'),
    receiveTopic: tunnelUpTopic('bench-agent'),
  });
  const agent = new TunnelEndpoint({
    transport: agentTransport,
    sendTopic: tunnelUpTopic('bench-agent'),
    receiveTopic: tunnelDownTopic('bench-agent'),
  });
  await hub.start();
  await agent.start();
  agent.serve(async (c) => ({ status: 200, headers: [], body: c.body }));
  const head = {
    service: 'echo',
    method: 'POST',
    path: '/',
    query: '',
    headers: [],
    caller: 'central',
    hops: 1,
  };
  return {
    call: async (body) => {
      const res = await hub.call(head, {
        timeoutMs: 30_000,
        body: (async function* () {
          yield body;
        })(),
      });
      let n = 0;
      for await (const chunk of res.body) n += chunk.byteLength;
      return n;
    },
    close: async () => {
      await hub.close();
      await agent.close();
      await agentTransport.close();
    },
  };
}

function fmt(r: Result | undefined): string {
  return r ? `p50 ${r.p50.toFixed(3)} ms  p99 ${r.p99.toFixed(3)} ms  ${Math.round(r.rps)} req/s` : 'skipped';
}

async function main(): Promise<void> {
  const service = createHttpServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    req.pipe(res);
  });
  service.listen(0, '127.0.0.1');
  await once(service, 'listening');
  const serviceUrl = `http://127.0.0.1:${(service.address() as AddressInfo).port}`;

  const broker = await Aedes.createBroker();
  const mqttServer = createNetServer({ noDelay: true }, (s) => broker.handle(s));
  mqttServer.listen(0, '127.0.0.1');
  await once(mqttServer, 'listening');
  const brokerUrl = `mqtt://127.0.0.1:${(mqttServer.address() as AddressInfo).port}`;

  const cp = await startControlPlane({ args: ['--log-level', 'warn'] });
  const secret = await cp.addAgent('bench-edge');
  await startEdge({
    id: 'bench-edge',
    secret,
    url: cp.mqttUrl,
    services: { echo: serviceUrl },
    args: ['--log-level', 'warn'],
  });
  await waitFor(async () => {
    const r = await cp.api<{ routes: { state: string }[] }>('/api/v1/routes?service=echo');
    return r.body.routes.some((x) => x.state === 'active');
  }, 'the echo route');

  let nats = false;
  try {
    execFileSync('nats-server', ['--version'], { stdio: 'ignore' });
    nats = true;
  } catch {
    nats = false;
  }

  const raw = await rawMqtt(brokerUrl);
  const tunnel = await tunnelPair(broker, brokerUrl);
  const modes: Array<[string, Call | undefined]> = [
    ['a direct HTTP', httpCaller(`${serviceUrl}/echo`)],
    ['b raw MQTT', raw.call],
    ['c tunnel only', tunnel.call],
    ['d full call', httpCaller(`${cp.apiBase}/call/echo/echo`, cp.token)],
    ['e NATS leaf', undefined],
  ];
  console.log(`tunnel bench: ${SECONDS}s per measurement, ${IN_FLIGHT} in flight, 2 cores, loopback`);
  if (!nats) console.log('(e) skipped: nats-server is not on PATH (not installed by this bench)');
  else console.log('(e) skipped: nats-server found, but the NATS leaf-node setup is not implemented yet');
  for (const size of [256, 64 * 1024]) {
    const body = Buffer.alloc(size, 7);
    const results: Record<string, Result | undefined> = {};
    console.log(`\nbody ${size} B`);
    for (const [name, call] of modes) {
      results[name] = call ? await measure(call, body) : undefined;
      console.log(`  ${name.padEnd(14)} ${fmt(results[name])}`);
    }
    const [a, b, c, d, e] = modes.map(([n]) => results[n]);
    if (a && b && d) {
      const budget = 1.3 * (2 * a.p50 + b.p50);
      console.log(
        `  target (d) p50 <= 1.3 x (2a + b) p50: ${d.p50.toFixed(3)} <= ${budget.toFixed(3)} ms  ${d.p50 <= budget ? 'MET' : 'MISSED'}`,
      );
      console.log(
        `  target (d) req/s >= 0.5 x (b): ${Math.round(d.rps)} >= ${Math.round(0.5 * b.rps)}  ${d.rps >= 0.5 * b.rps ? 'MET' : 'MISSED'}`,
      );
    }
    console.log(
      c && e
        ? `  target (c) req/s >= (e): ${c.rps >= e.rps ? 'MET' : 'MISSED'}`
        : '  target (c) req/s >= (e): not measured ((e) skipped)',
    );
  }
  await raw.close();
  await tunnel.close();
  await stopAll();
  await new Promise<void>((r) => broker.close(() => r()));
  mqttServer.close();
  service.close();
  service.closeAllConnections();
}

await main();
process.exit(0);
