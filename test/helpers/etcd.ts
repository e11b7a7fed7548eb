import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { tempDir } from './processes.js';
import { waitFor } from './wait.js';
import { freePort } from './ports.js';

/** A real etcd (Debian `etcd-server`) on free loopback ports, its data in a temp dir: stop and start keep it. */
export interface EtcdServer {
  /** `http://127.0.0.1:PORT`: the client URL (gRPC and the JSON gateway). */
  url: string;
  /** `etcd://127.0.0.1:PORT`, for `--source` (append a prefix and options). */
  sourceUrl: string;
  put(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  /** Writes many keys, `batch` per transaction. */
  putMany(entries: ReadonlyArray<[string, string]>, batch?: number): Promise<void>;
  /** Stops it (SIGKILL by default: no chance to say anything). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same ports and data. */
  start(): Promise<void>;
  running(): boolean;
}

/** Why a real etcd cannot run here, as one line; undefined when it can. */
export function etcdUnavailable(): string | undefined {
  const { status, error } = spawnSync('etcd', ['--version']);
  if (error) return 'etcd is not installed: apt-get install etcd-server (test/prerequisites.sh does)';
  return status === 0 ? undefined : 'etcd --version failed';
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

const b64 = (text: string): string => Buffer.from(text).toString('base64');

/** A go-micro registry value (registry.Service with one node), as go-micro's etcd registry writes it. */
export function microService(
  name: string,
  node: { id: string; address: string; metadata?: Record<string, string> },
  metadata: Record<string, string> = {},
): string {
  return JSON.stringify({
    name,
    version: 'latest',
    metadata,
    endpoints: [],
    nodes: [{ id: node.id, address: node.address, metadata: { protocol: 'http', ...node.metadata } }],
  });
}

/** go-micro's key of a node: `/micro/registry/<service, / as ->/<node id>`. */
export const microKey = (service: string, nodeId: string, prefix = '/micro/registry/'): string =>
  `${prefix}${service.replace(/\//g, '-')}/${nodeId}`;

/** Starts etcd; stop it with `stop()` (the harness also kills it when the test process exits). */
export async function startEtcd(): Promise<EtcdServer> {
  const dir = tempDir('tether-etcd-');
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  let child: ChildProcess | undefined;
  let log = '';
  const post = async (path: string, body: object): Promise<void> => {
    const res = await fetch(url + path, { method: 'POST', body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`etcd ${path}: ${res.status} ${await res.text()}`);
  };
  const start = async (): Promise<void> => {
    const args = ['--name', 'default', '--data-dir', dir, '--listen-client-urls', url];
    args.push(
      '--advertise-client-urls',
      url,
      '--listen-peer-urls',
      peer,
      '--initial-advertise-peer-urls',
      peer,
    );
    args.push('--initial-cluster', `default=${peer}`, '--log-level', 'error', '--logger', 'zap');
    child = spawn('etcd', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    children.add(child);
    child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
    const started = child;
    started.once('exit', () => children.delete(started));
    await waitFor(
      async () =>
        (await fetch(`${url}/health`).then((r) => r.json() as Promise<{ health: string }>)).health === 'true',
      `etcd at ${url}\n${log}`,
      { timeoutMs: 15_000 },
    );
  };
  await start();
  return {
    url,
    sourceUrl: `etcd://127.0.0.1:${clientPort}`,
    put: (key, value) => post('/v3/kv/put', { key: b64(key), value: b64(value) }),
    delete: (key) => post('/v3/kv/deleterange', { key: b64(key) }),
    putMany: async (entries, batch = 100) => {
      for (let i = 0; i < entries.length; i += batch) {
        const success = entries
          .slice(i, i + batch)
          .map(([key, value]) => ({ request_put: { key: b64(key), value: b64(value) } }));
        await post('/v3/kv/txn', { success });
      }
    },
    stop: async (signal = 'SIGKILL') => {
      const running = child;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill(signal);
      await exited;
    },
    start,
    running: () => child !== undefined && child.exitCode === null && child.signalCode === null,
  };
}
