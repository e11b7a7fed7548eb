/**
 * `pnpm bench:hub-send [--seconds 2] [--rounds 5]`
 *
 * The hub's send path alone: two agent-side TunnelEndpoints (test/bench/tunnel-peer.ts `tunnel`, each in its own
 * process, MQTT.js over TCP) echo calls made by hub-side TunnelEndpoints in this process, which embeds aedes as the
 * control plane does. (p) the hub's messages go through aedes's publish path (AedesTransport: emitter matching, a
 * packet copy, a `setImmediate` per delivery, mqtt-packet's writer); (w) they are written straight onto the
 * agent's connection (AgentSocketWriter), replies coming back through aedes's emitter; (r) written so, and the
 * replies handed from aedes's publish handler straight to the hub's endpoint (LocalFirstEmitter), as TunnelHub
 * does. Rounds interleave the modes; per
 * mode: sequential p50, calls/s with 64 in flight and the CPU per call of this process (the hub and the callers,
 * the same code in both) and of the agent, then (w)/(p) paired by round, with the load average. `--redis` puts
 * aedes's emitter on a throwaway redis-server as a cluster member's is (every publish goes through Redis and back).
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Aedes } from 'aedes';
import {
  AedesTransport,
  AgentSocketWriter,
  createLogger,
  LocalFirstEmitter,
  openRedisFabric,
} from '@tether/control-plane';
import { TunnelEndpoint, tunnelDownTopic, tunnelUpTopic, type Transport } from '@tether/shared';
import { spawnNode, stopAll } from '../helpers/processes.js';
import { startRedis } from '../helpers/redis.js';
import { echoCall } from './echo-call.js';
import { quantile } from './stats.js';

const { values: opts } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    seconds: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '5' },
    redis: { type: 'boolean', default: false },
  },
});
const MS = Number(opts.seconds) * 1000;
const ROUNDS = Math.max(1, Math.floor(Number(opts.rounds)));
const IN_FLIGHT = 64;
const PEER = new URL('./tunnel-peer.ts', import.meta.url).pathname;

interface Result {
  p50: number;
  rps: number;
  hubCpu: number;
  agentCpu: number;
}

/** CPU seconds (user + system) a process has used so far (Linux /proc). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The load average now (1, 5, 15 min). */
function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

/** Sequential p50, then calls/s and CPU per call (this process, the agent) with IN_FLIGHT calls at once. */
async function measure(hub: TunnelEndpoint, agentPid: number, body: Buffer): Promise<Result> {
  for (let i = 0; i < 200; i++) await echoCall(hub, body);
  const lat: number[] = [];
  let end = performance.now() + MS;
  for (let i = 0; i < 1_000_000 && performance.now() < end; i++) {
    const t = performance.now();
    await echoCall(hub, body);
    lat.push(performance.now() - t);
  }
  const hubBefore = process.cpuUsage();
  const agentBefore = cpuSeconds(agentPid);
  const start = performance.now();
  end = start + MS;
  let done = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      for (let i = 0; i < 1_000_000 && performance.now() < end; i++) {
        await echoCall(hub, body);
        done++;
      }
    }),
  );
  const used = process.cpuUsage(hubBefore);
  return {
    p50: quantile(lat, 0.5),
    rps: done / ((performance.now() - start) / 1000),
    hubCpu: (used.user + used.system) / done,
    agentCpu: ((cpuSeconds(agentPid) - agentBefore) / done) * 1e6,
  };
}

async function main(): Promise<void> {
  const redis = opts.redis ? await startRedis() : undefined;
  const fabric = redis ? await openRedisFabric(redis.url, 'bench', createLogger('warn')) : undefined;
  const broker = await Aedes.createBroker(fabric ? { mq: fabric.mq, persistence: fabric.persistence } : {});
  const server = createServer({ noDelay: true }, (socket) => broker.handle(socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const published = new AedesTransport(broker);
  const local = LocalFirstEmitter.install(broker);
  const writer = new AgentSocketWriter(broker, local);
  const receivers = new Map<string, TunnelEndpoint>();
  writer.receive((agentId, topic, payload) => {
    const hub = topic === tunnelUpTopic(agentId) ? receivers.get(agentId) : undefined;
    hub?.receive(payload);
    return hub !== undefined;
  });
  // The hub's transport in (w): binary publishes onto the agent's socket, as TunnelHub does.
  const written = (agentId: string): Transport => ({
    publish: (topic, payload, options) =>
      (typeof payload === 'string' ? undefined : writer.write(agentId, topic, payload)) ??
      published.publish(topic, payload, options),
    subscribe: (filter, handler) => published.subscribe(filter, handler),
    close: async () => undefined,
  });
  const modes: Array<[string, TunnelEndpoint, number]> = [];
  for (const [name, agentId, transport] of [
    ['p broker publish', 'bench-p', published],
    ['w socket write', 'bench-w', written('bench-w')],
    ['r write+receive', 'bench-r', written('bench-r')],
  ] as const) {
    const peer = await spawnNode(['--import', 'tsx', PEER, 'tunnel', url, agentId]);
    const hub = new TunnelEndpoint({
      transport,
      sendTopic: tunnelDownTopic(agentId),
      receiveTopic: tunnelUpTopic(agentId),
    });
    await hub.start();
    if (agentId === 'bench-r') receivers.set(agentId, hub);
    modes.push([name, hub, peer.child.pid ?? 0]);
  }
  console.log(
    `hub send bench${redis ? ' (emitter on Redis)' : ''}: ${MS / 1000}s per measurement, ${ROUNDS} interleaved rounds, ${IN_FLIGHT} in flight`,
  );
  console.log(`load average at the start: ${loadAverage()}`);
  for (const size of [256, 64 * 1024]) {
    const body = Buffer.alloc(size, 7);
    const rounds = new Map<string, Result[]>();
    for (let round = 0; round < ROUNDS; round++)
      for (const [name, hub, pid] of modes)
        rounds.set(name, [...(rounds.get(name) ?? []), await measure(hub, pid, body)]);
    console.log(`\nbody ${size} B`);
    const med = (rs: Result[], pick: (r: Result) => number): number => quantile(rs.map(pick), 0.5);
    for (const [name, rs] of rounds)
      console.log(
        `  ${name.padEnd(17)} p50 ${med(rs, (r) => r.p50).toFixed(3)} ms  ${med(rs, (r) => r.rps).toFixed(0)} calls/s  CPU us/call: hub ${med(rs, (r) => r.hubCpu).toFixed(1)}, agent ${med(rs, (r) => r.agentCpu).toFixed(1)}`,
      );
    const [p, ...others] = [...rounds.values()] as [Result[], Result[], Result[]];
    for (const [label, x] of [
      ['(w) / (p)', others[0]],
      ['(r) / (p)', others[1]],
    ] as const) {
      const paired = (pick: (r: Result) => number): string =>
        `${quantile(
          x.map((r, i) => pick(r) / pick(p[i]!)),
          0.5,
        ).toFixed(2)}x`;
      console.log(
        `  ${label} paired by round: p50 ${paired((r) => r.p50)}, calls/s ${paired((r) => r.rps)}, hub CPU/call ${paired((r) => r.hubCpu)}, agent CPU/call ${paired((r) => r.agentCpu)}`,
      );
    }
    console.log(`  load average: ${loadAverage()}`);
  }
  for (const [, hub] of modes) await hub.close();
  await stopAll();
  await new Promise<void>((r) => broker.close(() => r()));
  server.close();
  await fabric?.close();
  await redis?.kill();
}

await main();
process.exit(0);
