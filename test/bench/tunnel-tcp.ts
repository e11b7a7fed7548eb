/**
 * The TCP modes of bench:tunnel: `redis-benchmark -t set,get -c 50 -n 100000` against one redis-server (a) direct,
 * (b) through a Tether control-plane listener to the edge agent that offers it (client -> listener -> tunnel over
 * MQTT -> agent -> redis), (c) through an OpenSSH local forward (`ssh -L`, a throwaway sshd and key on free ports).
 * Rounds interleaved (a b c a b c ...), medians printed, with Tether's ratio to OpenSSH and its added p50.
 */
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/processes.js';
import { startRedis } from '../helpers/redis.js';
import { startEdge, type ControlPlane } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';
import { accepting, freePort } from '../helpers/ports.js';

const ROUNDS = Number(process.env.TCP_BENCH_ROUNDS ?? 3);
const REQUESTS = Number(process.env.TCP_BENCH_REQUESTS ?? 100_000);

/** One redis-benchmark test's figures. */
interface Figures {
  rps: number;
  p50: number;
}

/** Runs redis-benchmark against `port` and reads its CSV: SET and GET requests/s and p50 (ms). */
function redisBenchmark(port: number): Record<'SET' | 'GET', Figures> {
  const run = spawnSync(
    'redis-benchmark',
    ['-h', '127.0.0.1', '-p', String(port), '-t', 'set,get', '-c', '50', '-n', String(REQUESTS), '--csv'],
    { encoding: 'utf8', timeout: 120_000 },
  );
  if (run.status !== 0) throw new Error(`redis-benchmark on ${port} failed: ${run.stderr}`);
  const out: Partial<Record<string, Figures>> = {};
  for (const line of run.stdout.trim().split('\n').slice(1)) {
    const [test, rps, , , p50] = line.split(',').map((c) => c.replace(/"/g, ''));
    out[test!] = { rps: Number(rps), p50: Number(p50) };
  }
  if (!out.SET || !out.GET) throw new Error(`unexpected redis-benchmark output: ${run.stdout}`);
  return { SET: out.SET, GET: out.GET };
}

/**
 * An sshd on a free port with a throwaway host key and client key, and `ssh -N -L` forwarding a free local port to
 * `127.0.0.1:target` through it. Undefined (with the reason printed) when sshd or ssh is missing.
 */
async function sshForward(target: number): Promise<{ port: number; close(): void } | undefined> {
  if (spawnSync('sh', ['-c', 'command -v ssh && test -x /usr/sbin/sshd']).status !== 0) {
    console.log('(c) skipped: OpenSSH is not installed (apt-get install openssh-server openssh-client)');
    return undefined;
  }
  const dir = tempDir('tether-ssh-');
  for (const key of ['host', 'client'])
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, key)], { stdio: 'ignore' });
  writeFileSync(join(dir, 'authorized_keys'), spawnSync('cat', [join(dir, 'client.pub')]).stdout);
  const [sshdPort, localPort] = [await freePort(), await freePort()];
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${sshdPort}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'PermitRootLogin prohibit-password',
      'AllowTcpForwarding yes',
      `PidFile ${join(dir, 'sshd.pid')}`,
    ].join('\n'),
  );
  spawnSync('mkdir', ['-p', '/run/sshd']);
  const sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: 'ignore' });
  await waitFor(() => accepting(sshdPort), 'sshd to listen');
  const ssh = spawn(
    'ssh',
    [
      '-N',
      '-L',
      `127.0.0.1:${localPort}:127.0.0.1:${target}`,
      '-p',
      String(sshdPort),
      '-i',
      join(dir, 'client'),
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      'UserKnownHostsFile=/dev/null',
      '-o',
      'BatchMode=yes',
      '-o',
      'LogLevel=ERROR',
      `${process.env.USER ?? 'root'}@127.0.0.1`,
    ],
    { stdio: 'ignore' },
  );
  const close = (): void => {
    ssh.kill('SIGKILL');
    sshd.kill('SIGKILL');
  };
  process.once('exit', close);
  await waitFor(() => accepting(localPort), 'the ssh -L port to listen');
  return { port: localPort, close };
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/** Runs the TCP modes with `cp` (a running control plane) and prints their medians and ratios. */
export async function benchTcp(cp: ControlPlane): Promise<void> {
  const redis = await startRedis();
  const secret = await cp.addAgent('bench-tcp-edge');
  await startEdge({
    id: 'bench-tcp-edge',
    secret,
    url: cp.mqttUrl,
    services: { redis: `tcp://127.0.0.1:${redis.port}` },
    args: ['--log-level', 'warn'],
  });
  await waitFor(async () => {
    const r = await cp.api<{ routes: { state: string }[] }>('/api/v1/routes?service=redis');
    return r.body.routes.some((x) => x.state === 'active');
  }, 'the redis route');
  const listener = await cp.api<{ port: number }>('/api/v1/listeners', {
    method: 'POST',
    body: JSON.stringify({ service: 'redis', port: 0 }),
  });
  const ssh = await sshForward(redis.port);
  const modes: Array<[string, number | undefined]> = [
    ['a direct', redis.port],
    ['b Tether', listener.body.port],
    ['c ssh -L', ssh?.port],
  ];
  console.log(
    `\nTCP: redis-benchmark -t set,get -c 50 -n ${REQUESTS}, medians of ${ROUNDS} interleaved rounds`,
  );
  const runs: Record<string, Array<Record<'SET' | 'GET', Figures>>> = {};
  for (let round = 0; round < ROUNDS; round++)
    for (const [name, port] of modes) if (port !== undefined) (runs[name] ??= []).push(redisBenchmark(port));
  const med = (name: string, test: 'SET' | 'GET'): Figures | undefined => {
    const list = runs[name];
    if (!list) return undefined;
    return { rps: median(list.map((r) => r[test].rps)), p50: median(list.map((r) => r[test].p50)) };
  };
  for (const test of ['SET', 'GET'] as const) {
    console.log(`  ${test}`);
    for (const [name] of modes) {
      const f = med(name, test);
      if (f)
        console.log(
          `    ${name.padEnd(10)} ${f.rps.toFixed(0).padStart(8)} req/s  p50 ${f.p50.toFixed(3)} ms`,
        );
    }
    const [a, b, c] = modes.map(([n]) => med(n, test));
    if (a && b)
      console.log(
        `    Tether added p50: ${(b.p50 - a.p50).toFixed(3)} ms; req/s vs direct ${(b.rps / a.rps).toFixed(2)}x`,
      );
    if (b && c)
      console.log(
        `    (b) req/s / (c) req/s = ${(b.rps / c.rps).toFixed(2)}x (target >= 1.00x: ${b.rps >= c.rps ? 'MET' : 'MISSED'}); p50 ${(b.p50 / c.p50).toFixed(2)}x`,
      );
  }
  ssh?.close();
  await redis.kill();
}
