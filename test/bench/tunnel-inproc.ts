/**
 * `tsx test/bench/tunnel-inproc.ts [BASE_DIR] [--rounds 5]`: the CPU Tether's own tunnel code spends per unit of
 * work, with no sockets, broker or other process in the way (figures on a loaded machine stay comparable): two
 * TunnelEndpoints in this process over an in-memory transport (each message delivered on the next turn), and
 * (1) 50 streams each sending a 30 B request and waiting for the 30 B echo (redis-benchmark's pattern), (2) 64 calls
 * in flight with a 256 B body echoed. With BASE_DIR (the root of another checkout, built) the same is run with its
 * `shared` build, rounds interleaved, and the ratios printed.
 */
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type * as Shared from '@tether/shared';
import { echoCall } from './echo-call.js';

const { values, positionals } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: { rounds: { type: 'string', default: '5' } },
  allowPositionals: true,
});
const ROUNDS = Number(values.rounds);
const STREAM_TRIPS = 100_000;
const CALLS = 20_000;

/** An in-memory broker: a message reaches the subscribers of its exact topic on the next turn, as over a socket. */
function memoryTransport(subs: Map<string, Array<(t: string, p: Uint8Array) => void>>): Shared.Transport {
  return {
    publish: (topic, payload) => {
      const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
      setImmediate(() => {
        for (const h of subs.get(topic) ?? []) h(topic, bytes);
      });
      return Promise.resolve();
    },
    subscribe: (filter, handler) => {
      subs.set(filter, [...(subs.get(filter) ?? []), handler]);
      return Promise.resolve(async () => undefined);
    },
    close: async () => undefined,
  };
}

async function pair(shared: typeof Shared): Promise<[Shared.TunnelEndpoint, Shared.TunnelEndpoint]> {
  const subs = new Map<string, Array<(t: string, p: Uint8Array) => void>>();
  const hub = new shared.TunnelEndpoint({
    transport: memoryTransport(subs),
    sendTopic: 'down',
    receiveTopic: 'up',
  });
  const agent = new shared.TunnelEndpoint({
    transport: memoryTransport(subs),
    sendTopic: 'up',
    receiveTopic: 'down',
  });
  await Promise.all([hub.start(), agent.start()]);
  return [hub, agent];
}

/** CPU microseconds (user + system) per unit of `work`. */
async function cpuPer(units: number, work: () => Promise<void>): Promise<number> {
  const before = process.cpuUsage();
  await work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / units;
}

/** 50 streams, each sending 30 B and waiting for the echo, STREAM_TRIPS round trips in all. */
async function streams(shared: typeof Shared): Promise<number> {
  const [hub, agent] = await pair(shared);
  agent.serveStreams((incoming) => {
    const { stream } = incoming;
    incoming.accept({});
    stream.attach({
      data: (chunk) => void stream.write(chunk),
      end: () => stream.end(),
      drain: () => undefined,
      close: () => undefined,
    });
  });
  const request = Buffer.alloc(30, 1);
  const lanes = 50;
  const opened = await Promise.all(
    Array.from({ length: lanes }, () =>
      hub.openStream(
        { protocol: 'tcp', service: 'bench', caller: 'central', hops: 1 },
        { timeoutMs: 10_000 },
      ),
    ),
  );
  const cpu = await cpuPer(STREAM_TRIPS, async () => {
    await Promise.all(
      opened.map(
        ({ stream }) =>
          new Promise<void>((resolve) => {
            let left = STREAM_TRIPS / lanes;
            stream.attach({
              data: () => {
                if (--left === 0) return resolve();
                stream.write(request);
              },
              end: () => undefined,
              drain: () => undefined,
              close: () => undefined,
            });
            stream.write(request);
          }),
      ),
    );
  });
  await Promise.all([hub.close(), agent.close()]);
  return cpu;
}

/** 64 calls in flight with a 256 B body echoed, CALLS calls in all. */
async function calls(shared: typeof Shared): Promise<number> {
  const [hub, agent] = await pair(shared);
  agent.serve(async (call) => ({ status: 200, headers: [], body: call.body }));
  const body = Buffer.alloc(256, 7);
  const cpu = await cpuPer(CALLS, async () => {
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        for (let i = 0; i < CALLS / 64; i++) await echoCall(hub, body);
      }),
    );
  });
  await Promise.all([hub.close(), agent.close()]);
  return cpu;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

const builds: Array<[string, typeof Shared]> = [['this build', await import('@tether/shared')]];
if (positionals[0])
  builds.push([
    'base build',
    (await import(pathToFileURL(join(positionals[0], 'shared', 'dist', 'index.js')).href)) as typeof Shared,
  ]);
const figures: Record<string, { streams: number[]; calls: number[] }> = {};
for (const [name, shared] of builds) {
  await streams(shared); // warm-up
  await calls(shared);
  figures[name] = { streams: [], calls: [] };
}
for (let round = 0; round < ROUNDS; round++)
  for (const [name, shared] of builds) {
    figures[name]!.streams.push(await streams(shared));
    figures[name]!.calls.push(await calls(shared));
  }
console.log(`in-process tunnel, both ends here, medians of ${ROUNDS} interleaved rounds (CPU us per unit)`);
for (const [name] of builds) {
  const f = figures[name]!;
  console.log(
    `  ${name.padEnd(11)} stream round trip (30 B each way) ${median(f.streams).toFixed(2)} us, call (256 B each way) ${median(f.calls).toFixed(2)} us`,
  );
}
const [now, base] = builds.map(([name]) => figures[name]);
if (now && base)
  console.log(
    `  this / base: streams ${(median(now.streams) / median(base.streams)).toFixed(2)}x, calls ${(median(now.calls) / median(base.calls)).toFixed(2)}x`,
  );
