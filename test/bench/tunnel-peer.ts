/**
 * The far end of `pnpm bench:tunnel` (and bench:hub-send), in its own process as an agent or a remote service
 * would be: `http` (an echo HTTP service), `proxy <url>` (a bare node:http reverse proxy to `url`: the reference for
 * what two HTTP hops cost with nothing of Tether's), `mqtt <url>` (echoes `bench/req` to `bench/res`),
 * `tunnel <url> [agent id]` (an agent-side TunnelEndpoint answering with the request body), `nats <url>` (a NATS
 * responder on `bench.echo`), `tcp-proxy <port>` (a bare node:net proxy to 127.0.0.1:port, one upstream connection
 * per client: the reference for what a node TCP hop costs with nothing of Tether's).
 * Prints one JSON ready line, then serves until killed.
 */
import { once } from 'node:events';
import { Agent, createServer, request, type Server } from 'node:http';
import { connect as connectTcp, createServer as createTcpServer, type AddressInfo } from 'node:net';
import { connect as connectNats } from '@nats-io/transport-node';
import mqtt from 'mqtt';
import { MqttTransport } from '@tether/agent';
import { TunnelEndpoint, tunnelDownTopic, tunnelUpTopic } from '@tether/shared';

const [mode, url] = process.argv.slice(2);

/**
 * Listens on a free port and prints it. Idle keep-alive connections stay open for 2 minutes: under load a pool
 * (Tether's upstream client, a bare proxy's agent) could otherwise reuse a socket the server was closing after its
 * default 5 s, and a POST on it fails with 502 in either mode.
 */
async function listenLong(server: Server): Promise<void> {
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 121_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  console.log(JSON.stringify({ port: (server.address() as AddressInfo).port }));
}

async function http(): Promise<void> {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    req.pipe(res);
  });
  await listenLong(server);
}

async function proxy(): Promise<void> {
  const upstream = new URL(url!);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const out = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          path: req.url,
          method: req.method,
          agent,
          headers: { 'content-length': body.length },
        },
        (up) => {
          const parts: Buffer[] = [];
          up.on('data', (c: Buffer) => parts.push(c));
          up.on('end', () => {
            const answer = Buffer.concat(parts);
            res.writeHead(up.statusCode ?? 502, { 'content-length': answer.length }).end(answer);
          });
        },
      );
      out.on('error', () => res.writeHead(502).end());
      out.end(body);
    });
  });
  await listenLong(server);
}

async function rawMqtt(): Promise<void> {
  const client = mqtt.connect(url!, { clientId: 'bench-responder', protocolVersion: 4, reconnectPeriod: 0 });
  await new Promise<void>((resolve) => client.once('connect', () => resolve()));
  // MQTT.js has no option for TCP_NODELAY (field notes): set it on the connected socket.
  (client.stream as unknown as { setNoDelay(b: boolean): void }).setNoDelay(true);
  client.on('message', (_t, payload) => client.publish('bench/res', payload, { qos: 0 }));
  await client.subscribeAsync('bench/req', { qos: 0 });
  console.log(JSON.stringify({ ready: 1 }));
}

async function tunnel(): Promise<void> {
  const agentId = process.argv[4] ?? 'bench-agent';
  const transport = await MqttTransport.connect({ url: url!, clientId: agentId });
  const endpoint = new TunnelEndpoint({
    transport,
    sendTopic: tunnelUpTopic(agentId),
    receiveTopic: tunnelDownTopic(agentId),
  });
  endpoint.serve(async (call) => ({ status: 200, headers: [], body: call.body }));
  await endpoint.start();
  console.log(JSON.stringify({ ready: 1 }));
}

async function nats(): Promise<void> {
  const nc = await connectNats({ servers: url! });
  nc.subscribe('bench.echo', { callback: (_err, msg) => void msg.respond(msg.data) });
  await nc.flush();
  console.log(JSON.stringify({ ready: 1 }));
}

async function tcpProxy(): Promise<void> {
  const server = createTcpServer({ noDelay: true }, (client) => {
    const upstream = connectTcp({ host: '127.0.0.1', port: Number(url), noDelay: true });
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  console.log(JSON.stringify({ port: (server.address() as AddressInfo).port }));
}

const modes: Record<string, () => Promise<void>> = {
  http,
  proxy,
  mqtt: rawMqtt,
  tunnel,
  nats,
  'tcp-proxy': tcpProxy,
};
const run = mode === undefined ? undefined : modes[mode];
if (!run)
  throw new Error(
    `usage: tunnel-peer http | proxy URL | mqtt URL | tunnel URL [AGENT] | nats URL | tcp-proxy PORT`,
  );
await run();
