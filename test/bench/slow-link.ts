/**
 * `pnpm bench:slow-link [--seconds 6] [--rates 32kbit,64kbit,256kbit,2mbit] [--rto-min 1s]` (as root: network
 * namespaces, tc)
 *
 * A data-reporting edge after an outage, on a slow uplink: per rate, a backlog of sensor readings (~170 B of JSON
 * each; sized so Tether's compressed transfer takes about `--seconds`) accepted while the link is down, then drained
 * once it is up, by three senders in turn on the same link (a tbf qdisc on the agent's veth in its own network
 * namespace, MTU 1500, burst 1600 B, a 1 s queue; the way back unshaped):
 * - tether: a real agent and control plane (compressed batches: protocol 2);
 * - tether, v1 hub: the same agent against a control plane with `reports.protocol: 1` (plain JSON batches), so
 *   the forwarder's use of the link is measured without compression (its own backlog, sized to about `--seconds`
 *   of link time too);
 * - MQTT.js QoS 1: a plain client (library defaults) publishing the same backlog as Tether, every reading as one
 *   QoS 1 message at once, to a plain aedes broker, as a reporter without Tether would.
 * `--rto-min 1s` sets that minimum retransmission timeout on the agent's route to the hub (see the README: below
 * ~64 kbit/s a full TCP segment takes longer than Linux's 200 ms minimum, and TCP retransmits spuriously).
 * For each: reports/s, payload goodput (MQTT payload bytes as sent, per second, over the link rate), report goodput
 * (the readings' JSON delivered per second over the link rate), bytes written to the socket per payload byte, bytes
 * resent, and the latency of a control message sent 30 % into the backlog (Tether: a service added on the agent
 * until its route is at the hub; MQTT.js: one small QoS 1 message until the broker has it). Then ratios.
 * First, the codec choice measured on batches of the same readings (deflate level 6 vs brotli quality 5).
 * The senders' runs are in slow-link-senders.ts, the plain client in slow-link-naive.ts.
 */
import { parseArgs } from 'node:util';
import { brotliCompressSync, constants, deflateRawSync } from 'node:zlib';
import { stopAll } from '../helpers/processes.js';
import { readings } from '../helpers/readings.js';
import { createShapedLink, parseTcRate, shapedLinkUnavailable } from '../helpers/shaped-link.js';
import { startControlPlane } from '../helpers/tether.js';
import { jsonOf, runNaive, runTether, startNaiveBroker, type Result } from './slow-link-senders.js';

const { values: opts } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    seconds: { type: 'string', default: '6' },
    rates: { type: 'string', default: '32kbit,64kbit,256kbit,2mbit' },
    'rto-min': { type: 'string' },
  },
});
const SECONDS = Number(opts.seconds);
const RATES = opts.rates.split(',').map((r) => r.trim());
const RTO_MIN = opts['rto-min'];
/** Compression measured on these readings in 2-3 KB batches (the codec table), to size the backlog. */
const EXPECTED_RATIO = 7;
/** A plain JSON batch's bytes per reading byte (the report envelope and the escaping of its JSON body). */
const PLAIN_BATCH_OVERHEAD = 1.75;

/** Compression ratio and speed of deflate-6 and brotli-5 on report batches of 8, 32 and 128 readings. */
function codecTable(): string[] {
  const all = readings(4096).map((r) => JSON.stringify(r));
  const lines = ['codec on batches of these readings (report-batch JSON): ratio, MB/s compressing'];
  for (const size of [8, 32, 128]) {
    const batches: Buffer[] = [];
    for (let i = 0; i + size <= all.length; i += size) {
      const reports = all.slice(i, i + size).map((body, k) => ({
        stream: 'metrics',
        seq: i + k + 1,
        at: 1_767_225_600_000 + i + k,
        contentType: 'application/json',
        body,
      }));
      batches.push(Buffer.from(JSON.stringify({ v: 1, type: 'report-batch', batch: 'abcd1234-1', reports })));
    }
    const raw = batches.reduce((n, b) => n + b.length, 0);
    const measure = (compress: (b: Buffer) => Buffer): string => {
      const t0 = performance.now();
      const out = batches.reduce((n, b) => n + compress(b).length, 0);
      return `x${(raw / out).toFixed(2)} at ${(raw / 1e3 / (performance.now() - t0)).toFixed(0)} MB/s`;
    };
    const deflate = measure((b) => deflateRawSync(b, { level: 6 }));
    const brotli = measure((b) =>
      brotliCompressSync(b, {
        params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: b.length },
      }),
    );
    lines.push(
      `  ${size} readings (${Math.round(raw / batches.length)} B): deflate-6 ${deflate}, brotli-5 ${brotli}`,
    );
  }
  return lines;
}

/** One sender's row of the table at `rate`: its time, rates over the link, and costs. */
function row(rate: string, rateBytes: number, count: number, r: Result): string {
  const jsonBytes = jsonOf(count);
  const cells = [
    rate.padEnd(8),
    r.sender.padEnd(16),
    (r.done ? `${r.seconds.toFixed(1)}` : `>${r.seconds.toFixed(0)} (${r.delivered} stored)`).padStart(18),
    (r.delivered / r.seconds).toFixed(0).padStart(9),
    (r.payloadBytes / r.seconds / rateBytes).toFixed(2).padStart(12),
    ((jsonBytes * (r.delivered / count)) / r.seconds / rateBytes).toFixed(2).padStart(12),
    (r.socketBytes / r.payloadBytes).toFixed(3).padStart(14),
    String(r.resentBytes).padStart(10),
    (r.routeMs === null ? 'none' : String(r.routeMs)).padStart(9),
    String(r.reconnects).padStart(10),
  ];
  return cells.join(' | ');
}

async function main(): Promise<void> {
  const unavailable = shapedLinkUnavailable();
  if (unavailable) {
    console.error(`bench:slow-link: ${unavailable}`);
    process.exit(2);
  }
  console.log(codecTable().join('\n'));
  const cp = await startControlPlane({ args: ['--log-level', 'warn'] });
  const cpV1 = await startControlPlane({
    args: ['--log-level', 'warn'],
    config: { reports: { protocol: 1 } },
  });
  const broker = await startNaiveBroker();
  const header = [
    'rate    ',
    'sender          ',
    '            time s',
    'reports/s',
    'payload/link',
    'reports/link',
    'socket/payload',
    'resent B',
    'route ms',
    'reconnects',
  ];
  const table: string[] = [];
  const ratios: string[] = [];
  for (const [i, rate] of RATES.entries()) {
    const rateBytes = parseTcRate(rate) / 8;
    const avg = jsonOf(1000) / 1000;
    const count = Math.max(500, Math.round((SECONDS * rateBytes * EXPECTED_RATIO) / avg));
    const plainCount = Math.max(200, Math.round((SECONDS * rateBytes) / (avg * PLAIN_BATCH_OVERHEAD)));
    const jsonBytes = jsonOf(count);
    const link = createShapedLink(rate);
    try {
      console.log(`\n${rate}: ${count} readings, ${(jsonBytes / 1024).toFixed(0)} KiB of JSON ...`);
      const results: Array<[Result, number]> = [
        [{ sender: 'tether', ...(await runTether(link, cp, `t${i}`, count, SECONDS, RTO_MIN)) }, count],
        [
          {
            sender: 'tether (v1 hub)',
            ...(await runTether(link, cpV1, `p${i}`, plainCount, SECONDS, RTO_MIN)),
          },
          plainCount,
        ],
        [
          {
            sender: 'MQTT.js QoS 1',
            ...(await runNaive(link, broker, count, (jsonBytes * 1.25) / rateBytes, RTO_MIN)),
          },
          count,
        ],
      ];
      for (const [r, n] of results) {
        table.push(row(rate, rateBytes, n, r));
        console.log(table.at(-1));
      }
      const [tether, , naive] = results.map(([r]) => r) as [Result, Result, Result];
      const rps = (r: Result): number => r.delivered / r.seconds;
      ratios.push(
        `${rate.padEnd(8)} tether / MQTT.js: reports/s x${(rps(tether) / rps(naive)).toFixed(2)}` +
          `, route latency ${naive.routeMs === null || tether.routeMs === null ? 'n/a' : `x${(naive.routeMs / Math.max(1, tether.routeMs)).toFixed(1)} lower`}` +
          `, bytes on the socket x${(naive.socketBytes / Math.max(1, tether.socketBytes)).toFixed(2)} fewer`,
      );
    } finally {
      link.close();
    }
  }
  console.log(
    `\nbench:slow-link (--seconds ${SECONDS}${RTO_MIN ? ` --rto-min ${RTO_MIN}` : ''}; payload = MQTT payloads as sent, reports = the readings' JSON)\n`,
  );
  console.log(header.join(' | '));
  console.log(table.join('\n'));
  console.log(`\n${ratios.join('\n')}`);
  await broker.close();
  await stopAll();
}

main().then(
  () => process.exit(0),
  async (err: unknown) => {
    console.error(err);
    await stopAll();
    process.exit(1);
  },
);
