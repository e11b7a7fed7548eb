/**
 * `pnpm bench:tls [--clients 500] [--rounds 3]`
 *
 * A reconnect storm against one control plane (a real `tether-cp` process with `certs init` certificates,
 * ECDSA P-256): N clients dial at once and the time until the last one is through is measured, as
 *  - raw TLS handshakes/s on the mqtts port (node:tls, CA-verified, full handshakes, no session resumption:
 *    after a control-plane restart nobody holds a valid ticket),
 *  - MQTT connects/s (until CONNACK) with the agent's own MqttTransport over plain TCP, over mqtts verified by the
 *    CA, and over mqtts with a pinned fingerprint.
 * The clients run in THIS process on the same 2 cores as the server, so figures are lower bounds of the server's
 * capacity; compare them side by side. Medians of `rounds`.
 */
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { connect as tlsConnect, createSecureContext } from 'node:tls';
import { parseArgs } from 'node:util';
import { buildTlsPlan, MqttTransport, type TlsPlan } from '@tether/agent';
import { CP_BIN, runNode, stopAll, tempDir } from '../helpers/processes.js';
import { startControlPlane, type ControlPlane } from '../helpers/tether.js';

const { values: opts } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: { clients: { type: 'string', default: '500' }, rounds: { type: 'string', default: '3' } },
});
const N = Number(opts.clients);
const ROUNDS = Number(opts.rounds);
const quiet = { warn: () => {}, error: () => {}, debug: () => {} };

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** CPU time (user + system, ms) the process has used so far, from /proc (Linux). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in USER_HZ (100)
}

/** Runs a storm; returns connections/s and the control plane's CPU ms per connection. */
async function measure(pid: number, storm: () => Promise<number>): Promise<[number, number]> {
  const before = cpuMs(pid);
  const rate = await storm();
  return [rate, (cpuMs(pid) - before) / N];
}

/** N raw TLS handshakes at once; returns handshakes per second. */
async function handshakes(port: number, ca: string): Promise<number> {
  // One client context for all: a context per connection would cost the client more than the handshake.
  const secureContext = createSecureContext({ ca });
  const t0 = performance.now();
  const sockets = await Promise.all(
    Array.from({ length: N }, async () => {
      const socket = tlsConnect({ port, host: '127.0.0.1', servername: 'localhost', secureContext });
      await Promise.race([
        once(socket, 'secureConnect'),
        once(socket, 'error').then(([e]) => Promise.reject(e as Error)),
      ]);
      return socket;
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  for (const s of sockets) s.destroy();
  return N / secs;
}

/** N agent transports connecting at once (until CONNACK); returns connects per second. */
async function connects(
  url: string,
  agents: { id: string; secret: string }[],
  tls?: TlsPlan,
): Promise<number> {
  const t0 = performance.now();
  const transports = await Promise.all(
    agents.map(({ id, secret }) =>
      MqttTransport.connect({
        url,
        clientId: id,
        username: id,
        password: secret,
        logger: quiet,
        timeoutMs: 120_000,
        ...(tls ? { tls } : {}),
      }),
    ),
  );
  const secs = (performance.now() - t0) / 1000;
  await Promise.all(transports.map((t) => t.close()));
  return N / secs;
}

async function main(): Promise<void> {
  const dataDir = tempDir('tether-bench-tls-');
  const init = await runNode([CP_BIN, 'certs', 'init', '--data-dir', dataDir, '--host', 'localhost']);
  if (init.code !== 0) throw new Error(init.stderr);
  const certs = JSON.parse(init.stdout) as { ca: string; fingerprint: string };
  const ca = readFileSync(certs.ca, 'utf8');
  const cp: ControlPlane = await startControlPlane({
    dataDir,
    args: ['--mqtts-port', '0', '--log-level', 'warn'],
    caFile: certs.ca,
  });
  const mqttsPort = Number(new URL(cp.mqttsUrl!).port);
  const agents: { id: string; secret: string }[] = [];
  for (let i = 0; i < N; i += 50) {
    const ids = Array.from({ length: Math.min(50, N - i) }, (_, k) => `storm-${i + k}`);
    agents.push(...(await Promise.all(ids.map(async (id) => ({ id, secret: await cp.addAgent(id) })))));
  }
  const byCa = buildTlsPlan({ ca });
  const pinned = buildTlsPlan({ fingerprint: certs.fingerprint });
  const pid = cp.proc.child.pid!;
  const storms: Record<string, () => Promise<number>> = {
    'TLS handshakes (raw, CA-verified)': () => handshakes(mqttsPort, ca),
    'MQTT connects, plain TCP': () => connects(cp.mqttUrl, agents),
    'MQTT connects, mqtts + CA': () => connects(cp.mqttsUrl!, agents, byCa),
    'MQTT connects, mqtts + pin': () => connects(cp.mqttsUrl!, agents, pinned),
  };
  const rows = new Map<string, { rate: number[]; cpu: number[] }>();
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, storm] of Object.entries(storms)) {
      const [rate, cpu] = await measure(pid, storm);
      const row = rows.get(name) ?? { rate: [], cpu: [] };
      row.rate.push(rate);
      row.cpu.push(cpu);
      rows.set(name, row);
    }
  }
  console.log(
    `reconnect storm: ${N} clients at once, ${ROUNDS} rounds (median), ECDSA P-256, 2 cores shared`,
  );
  console.log(`${'storm'.padEnd(36)} ${'per second'.padStart(10)} ${'CP CPU ms each'.padStart(15)}`);
  for (const [name, row] of rows) {
    const rate = median(row.rate).toFixed(0).padStart(10);
    console.log(`${name.padEnd(36)} ${rate} ${median(row.cpu).toFixed(2).padStart(15)}`);
  }
  const rate = (name: string): number => median(rows.get(name)!.rate);
  const ratio = rate('MQTT connects, mqtts + CA') / rate('MQTT connects, plain TCP');
  console.log(`mqtts/plain connect rate ratio: ${ratio.toFixed(2)}`);
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => void stopAll());
