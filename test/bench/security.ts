/**
 * `pnpm bench:security [--trials 20] [--senders 10]`
 *
 * Against a real `tether-cp` process:
 * 1. revocation latency: an agent connected over MQTT is revoked; time until the broker closes its connection,
 *    by `DELETE /api/v1/agents/:id` (from the request) and by `tether-cp agent revoke` (from the CLI's exit, i.e.
 *    its commit, and from its spawn), p50/p99 over `--trials`;
 * 2. token revocation latency: the event WebSocket of a viewer token; time until the server closes it (4401) after
 *    `DELETE /api/v1/tokens/:id` (from the request) and `tether-cp token delete` (from the CLI's exit);
 * 3. memory under slow unauthenticated senders: `--senders` sockets that each trickle bytes of an unfinished
 *    CONNECT (1 KiB every 100 ms), and as many that blast bytes without CONNECT: RSS before, peak and after, and how
 *    many bytes each got in before the guards (pre-CONNECT byte limit, CONNECT deadline) closed it.
 */
import { execFile } from 'node:child_process';
import { parseArgs } from 'node:util';
import { openApiStream } from '../helpers/api-stream.js';
import { connectRaw } from '../helpers/mqtt-client.js';
import { CP_BIN, ROOT, stopAll } from '../helpers/processes.js';
import { fixedHeader, rawSocket, type RawSocket } from '../helpers/raw-socket.js';
import { startControlPlane, type ControlPlane } from '../helpers/tether.js';
import { sleep } from '../helpers/wait.js';
import { mib, ms, quantile, rssOf } from './stats.js';

const { values: opts } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: { trials: { type: 'string', default: '20' }, senders: { type: 'string', default: '10' } },
});
const TRIALS = Number(opts.trials);
const SENDERS = Number(opts.senders);

async function connected(cp: ControlPlane, id: string): Promise<{ closed: Promise<number> }> {
  const secret = await cp.addAgent(id);
  const conn = await connectRaw(cp.mqttUrl, id, secret);
  if (!conn.ok) throw new Error(`${id}: ${conn.error}`);
  const closed = new Promise<number>((resolve) =>
    conn.client.once('close', () => resolve(performance.now())),
  );
  return { closed };
}

/** Runs `tether-cp <args>`; resolves with the time it exited. */
function runCli(args: string[]): Promise<number> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [CP_BIN, ...args], { cwd: ROOT }, (err) =>
      err ? reject(new Error(err.message)) : resolve(performance.now()),
    ),
  );
}

function line(label: string, values: number[]): string {
  return `  ${label.padEnd(36)} p50 ${ms(quantile(values, 0.5)).padStart(10)}  p99 ${ms(quantile(values, 0.99)).padStart(10)}  max ${ms(Math.max(...values)).padStart(10)}`;
}

async function revocationLatency(cp: ControlPlane): Promise<void> {
  const api: number[] = [];
  const cliFromExit: number[] = [];
  const cliFromSpawn: number[] = [];
  for (let i = 0; i < TRIALS; i++) {
    const a = await connected(cp, `rv-api-${i}`);
    const t0 = performance.now();
    const res = await cp.api(`/api/v1/agents/rv-api-${i}`, { method: 'DELETE' });
    if (res.status !== 200) throw new Error(`DELETE: ${res.status}`);
    api.push((await a.closed) - t0);

    const c = await connected(cp, `rv-cli-${i}`);
    const spawned = performance.now();
    const exited = await runCli(['agent', 'revoke', `rv-cli-${i}`, '--data-dir', cp.dataDir]);
    const closedAt = await c.closed;
    cliFromExit.push(Math.max(0, closedAt - exited));
    cliFromSpawn.push(closedAt - spawned);
  }
  console.log(`revocation latency: revoke -> MQTT connection closed by the broker (${TRIALS} trials each)`);
  console.log(line('DELETE /api/v1/agents/:id', api));
  console.log(line('tether-cp agent revoke (from exit)', cliFromExit));
  console.log(line('tether-cp agent revoke (from spawn)', cliFromSpawn));
}

/** A new viewer token and its event stream; `closed` resolves with the time the server closed it with 4401. */
async function tokenStream(cp: ControlPlane, name: string): Promise<{ id: string; closed: Promise<number> }> {
  const res = await cp.api<{ id: string; token: string }>('/api/v1/tokens', {
    method: 'POST',
    body: JSON.stringify({ role: 'viewer', name }),
  });
  if (res.status !== 201) throw new Error(`token ${name}: ${res.status}`);
  const stream = await openApiStream(cp, '/api/v1/events', res.body.token);
  const closed = new Promise<number>((resolve, reject) =>
    stream.ws.once('close', (code) =>
      code === 4401 ? resolve(performance.now()) : reject(new Error(`closed with ${code}`)),
    ),
  );
  return { id: res.body.id, closed };
}

async function tokenRevocationLatency(cp: ControlPlane): Promise<void> {
  const api: number[] = [];
  const cliFromExit: number[] = [];
  for (let i = 0; i < TRIALS; i++) {
    const a = await tokenStream(cp, `tk-api-${i}`);
    const t0 = performance.now();
    const res = await cp.api(`/api/v1/tokens/${a.id}`, { method: 'DELETE' });
    if (res.status !== 204) throw new Error(`DELETE: ${res.status}`);
    api.push((await a.closed) - t0);

    const c = await tokenStream(cp, `tk-cli-${i}`);
    const exited = await runCli(['token', 'delete', c.id, '--data-dir', cp.dataDir]);
    cliFromExit.push(Math.max(0, (await c.closed) - exited));
  }
  console.log(`\ntoken deletion -> its event WebSocket closed by the server, 4401 (${TRIALS} trials each)`);
  console.log(line('DELETE /api/v1/tokens/:id', api));
  console.log(line('tether-cp token delete (from exit)', cliFromExit));
}

async function slowSenders(cp: ControlPlane): Promise<void> {
  const pid = cp.proc.child.pid!;
  await sleep(300);
  const before = rssOf(pid);
  let peak = before;
  const sent = new Map<RawSocket, number>();
  const opened = performance.now();
  const closedAfter: number[] = [];
  const slow: RawSocket[] = [];
  const fast: RawSocket[] = [];
  for (let i = 0; i < SENDERS; i++) {
    for (const group of [slow, fast]) {
      const s = await rawSocket(cp.mqttUrl);
      // An unfinished CONNECT that declares 200 KB (under the packet limit): only the pre-CONNECT limit stops it.
      s.socket.write(fixedHeader(0x10, 200_000));
      sent.set(s, 4);
      void s.closed.then(() => closedAfter.push(performance.now() - opened));
      group.push(s);
    }
  }
  const chunk = Buffer.alloc(1024, 0x61);
  const big = Buffer.alloc(64 * 1024, 0x61);
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && [...sent.keys()].some((s) => !s.isClosed())) {
    const write = (s: RawSocket, b: Buffer): void => {
      if (s.isClosed()) return;
      s.socket.write(b);
      sent.set(s, sent.get(s)! + b.length);
    };
    for (const s of slow) write(s, chunk);
    for (const s of fast) for (let k = 0; k < 16; k++) write(s, big);
    peak = Math.max(peak, rssOf(pid));
    await sleep(100);
  }
  await sleep(500);
  const after = rssOf(pid);
  const open = [...sent.keys()].filter((s) => !s.isClosed()).length;
  for (const s of sent.keys()) s.socket.destroy();
  const bytes = (group: RawSocket[]) => group.map((s) => sent.get(s)!);
  console.log(
    `\nmemory under ${SENDERS} slow and ${SENDERS} fast unauthenticated senders (no CONNECT ever completes)`,
  );
  console.log(
    `  RSS before ${mib(before)}, peak ${mib(peak)}, after ${mib(after)} (growth at peak ${mib(peak - before)})`,
  );
  console.log(
    `  slow senders (1 KiB / 100 ms): bytes written before the server closed them: max ${Math.max(...bytes(slow))}`,
  );
  console.log(
    `  fast senders (1 MiB / 100 ms): bytes written before the server closed them: max ${Math.max(...bytes(fast))} (includes what sat in socket buffers)`,
  );
  console.log(
    `  closed by the server: ${sent.size - open}/${sent.size}, last after ${ms(Math.max(...closedAfter))}`,
  );
}

async function main(): Promise<void> {
  const cp = await startControlPlane({ args: ['--log-level', 'error'] });
  try {
    await revocationLatency(cp);
    await tokenRevocationLatency(cp);
    await slowSenders(cp);
  } finally {
    await stopAll();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
