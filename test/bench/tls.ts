/**
 * `pnpm bench:tls [--clients 500] [--rounds 3] [--storm 2000] [--base DIR] [--gate-only]`
 *
 * A reconnect storm against one control plane (a real `tether-cp` process with `certs init` certificates,
 * ECDSA P-256): N clients dial at once and the time until the last one is through is measured, as
 *  - raw TLS handshakes/s on the mqtts port (node:tls, CA-verified, full handshakes, no session resumption:
 *    after a control-plane restart nobody holds a valid ticket),
 *  - MQTT connects/s (until CONNACK) with the agent's own MqttTransport over plain TCP, over mqtts verified by the
 *    CA, and over mqtts with a pinned fingerprint.
 * The clients run in THIS process on the same 2 cores as the server, so figures are lower bounds of the server's
 * capacity; compare them side by side. Medians of `rounds`.
 *
 * Then a TLS storm of `storm` connects, larger than the admission burst (tls-refused-storm.ts), against this build
 * and, with `--base DIR` (another checkout's root, built) or `--base FILE` (its tether-cp.js), the base build too,
 * rounds alternating: control-plane CPU ms per connect, `/healthz` p99 during the storm, and the handshakes done
 * for refused connects. `--gate-only` runs only that part.
 */
import { readFileSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { connect as tlsConnect, createSecureContext } from 'node:tls';
import { parseArgs } from 'node:util';
import { buildTlsPlan, MqttTransport, type TlsPlan } from '@tether/agent';
import { CP_BIN, runNode, stopAll, tempDir } from '../helpers/processes.js';
import { RAW_CAPACITY } from '../helpers/sim-workers.js';
import { startControlPlane, type ControlPlane } from '../helpers/tether.js';
import {
  cpuMs,
  forkStormClients,
  refusedStorm,
  STORM_SCENARIOS,
  type StormRound,
  type StormScenario,
} from './tls-refused-storm.js';

const { values: opts } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    clients: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '3' },
    storm: { type: 'string', default: '2000' },
    base: { type: 'string' },
    'gate-only': { type: 'boolean', default: false },
  },
});
const N = Number(opts.clients);
const ROUNDS = Number(opts.rounds);
const STORM = Number(opts.storm);
const quiet = { warn: () => {}, error: () => {}, debug: () => {} };

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

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

/** A data dir with `certs init` certificates (CA and server certificate for localhost). */
async function certsDir(): Promise<{ dataDir: string; caFile: string; ca: string; fingerprint: string }> {
  const dataDir = tempDir('tether-bench-tls-');
  const init = await runNode([CP_BIN, 'certs', 'init', '--data-dir', dataDir, '--host', 'localhost']);
  if (init.code !== 0) throw new Error(init.stderr);
  const certs = JSON.parse(init.stdout) as { ca: string; fingerprint: string };
  return { dataDir, caFile: certs.ca, ca: readFileSync(certs.ca, 'utf8'), fingerprint: certs.fingerprint };
}

/** The storms of connects that pass (this build only). */
async function storms(): Promise<void> {
  const { dataDir, caFile, ca, fingerprint } = await certsDir();
  const certs = { ca: caFile, fingerprint };
  const cp: ControlPlane = await startControlPlane({
    dataDir,
    args: ['--mqtts-port', '0', '--log-level', 'warn'],
    caFile,
    // Capacity, not limits: every client comes from 127.0.0.1, and the mqtts listener refuses before the
    // handshake (a refused raw connect would never reach secureConnect); these clients never send the advert
    // that ends a connect in flight, so its bound would hold each one for its timeout.
    config: { limits: { ...RAW_CAPACITY.limits, connectsInFlight: { max: 100_000 } } },
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
  await cp.proc.stop();
}

/** The base build's tether-cp.js: `--base` names it, or a checkout's root holding it. */
function baseBin(base: string): string {
  return statSync(base).isDirectory() ? join(base, 'control-plane', 'bin', 'tether-cp.js') : base;
}

/** One storm scenario on each build side by side, rounds alternating. */
async function gate({ title, limits }: StormScenario): Promise<void> {
  const builds: [string, string][] = [['this build', CP_BIN]];
  if (opts.base) builds.unshift(['base', baseBin(opts.base)]);
  const rows = new Map<string, StormRound[]>();
  const cps = new Map<string, { cp: ControlPlane; ca: string }>();
  for (const [name, bin] of builds) {
    const { dataDir, caFile, ca } = await certsDir();
    const args = ['--mqtts-port', '0', '--log-level', 'error'];
    const config = { limits };
    cps.set(name, { cp: await startControlPlane({ dataDir, bin, args, caFile, config }), ca });
    rows.set(name, []);
  }
  const child = forkStormClients();
  const refill = (1000 * limits.admissionRate.burst) / limits.admissionRate.perSecond;
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name] of builds) {
      const { cp, ca } = cps.get(name)!;
      await new Promise((res) => setTimeout(res, refill + 500)); // the admission bucket full again
      rows.get(name)!.push(await refusedStorm(cp, ca, STORM, child));
    }
  }
  child.kill();
  await Promise.all([...cps.values()].map(({ cp }) => cp.proc.stop()));
  const { perSecond, burst } = limits.admissionRate;
  console.log(
    `\nTLS storm ${title}: ${STORM} connects at once, admission ${perSecond}/s burst ${burst}, ` +
      `${ROUNDS} rounds (median); load ${readFileSync('/proc/loadavg', 'utf8').trim()}`,
  );
  const head = ['build', 'CP CPU ms/connect', '/healthz p99 ms', 'refused', 'handshakes for refused'];
  console.log(
    `${head[0]!.padEnd(12)} ${head
      .slice(1)
      .map((h) => h.padStart(22))
      .join(' ')}`,
  );
  const med = (name: string, f: (s: StormRound) => number): number => median(rows.get(name)!.map(f));
  for (const [name] of builds) {
    const cells = [
      med(name, (s) => s.cpuMsPerConnect).toFixed(3),
      med(name, (s) => s.healthzP99).toFixed(1),
      med(name, (s) => s.refused).toFixed(0),
      med(name, (s) => s.refusedHandshakes).toFixed(0),
    ];
    console.log(`${name.padEnd(12)} ${cells.map((c) => c.padStart(22)).join(' ')}`);
  }
  if (opts.base) {
    const ratio = (f: (s: StormRound) => number): string =>
      (med('this build', f) / med('base', f)).toFixed(2);
    console.log(
      `this build / base: CPU per connect ${ratio((s) => s.cpuMsPerConnect)}, ` +
        `/healthz p99 ${ratio((s) => s.healthzP99)}`,
    );
  }
}

async function main(): Promise<void> {
  if (!opts['gate-only']) await storms();
  for (const scenario of STORM_SCENARIOS) await gate(scenario);
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => void stopAll());
