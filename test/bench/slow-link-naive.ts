/**
 * The naive reporter of `bench:slow-link`, run in the agent's network namespace: a plain MQTT.js client (library
 * defaults: keepalive 60 s, 1 s reconnect, Nagle on) publishing each reading as one QoS 1 message, all at once,
 * as a reporter without Tether would. Reads commands on stdin (`control`: publish one small QoS 1 message, the
 * counterpart of a route change), prints JSON lines: `{"ready":1}`, then `{"done":...}` once every report was
 * acknowledged (PUBACK) or `{"progress":...}` on SIGTERM.
 *
 * Usage: node --import tsx slow-link-naive.ts <mqtt url> <reports>
 */
import { createInterface } from 'node:readline';
import mqtt from 'mqtt';
import { readings } from '../helpers/readings.js';

const [url, countText] = process.argv.slice(2);
const count = Number(countText);
const client = mqtt.connect(url!, { clientId: `naive-${process.pid}`, protocolVersion: 4 });
let socketBytesDone = 0;
let socket: { bytesWritten?: number } | undefined;
let connects = 0;
let acked = 0;
let firstConnectAt = 0;
let started = false;

const socketBytes = (): number => socketBytesDone + (socket?.bytesWritten ?? 0);
const figures = () => ({
  acked,
  connects,
  socketBytes: socketBytes(),
  elapsedMs: Date.now() - firstConnectAt,
});

client.on('connect', () => {
  connects++;
  socket = client.stream as { bytesWritten?: number };
  if (started) return;
  started = true;
  firstConnectAt = Date.now();
  process.stdout.write(`${JSON.stringify({ ready: 1, at: firstConnectAt })}\n`);
  for (const reading of readings(count)) {
    client.publish('naive/reports', JSON.stringify(reading), { qos: 1 }, (err) => {
      if (err) return;
      acked++;
      if (acked === count) {
        process.stdout.write(`${JSON.stringify({ done: figures() })}\n`, () =>
          client.end(true, () => process.exit(0)),
        );
      }
    });
  }
});
client.on('close', () => {
  socketBytesDone += socket?.bytesWritten ?? 0;
  socket = undefined;
});
client.on('error', () => undefined);

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'control')
    client.publish('naive/control', JSON.stringify({ at: Date.now() }), { qos: 1 });
});
process.on('SIGTERM', () => {
  process.stdout.write(`${JSON.stringify({ progress: figures() })}\n`, () => process.exit(0));
});
