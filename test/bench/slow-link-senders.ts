/**
 * The senders bench:slow-link (slow-link.ts) compares on one shaped link, each draining the same kind of backlog:
 * a real Tether agent and control plane, and a plain MQTT.js client (slow-link-naive.ts) to a plain aedes broker.
 * Each returns its figures for one rate's row.
 */
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { Aedes } from 'aedes';
import { ROOT } from '../helpers/processes.js';
import { sampleValue, scrape } from '../helpers/prometheus.js';
import { postReadings, readings } from '../helpers/readings.js';
import type { ShapedLink } from '../helpers/shaped-link.js';
import { startEdge, type ControlPlane } from '../helpers/tether.js';
import { sleep, waitFor } from '../helpers/wait.js';

const NAIVE = new URL('./slow-link-naive.ts', import.meta.url).pathname;

/** One sender's drain of a backlog: done or not, its time, what it delivered, and what it cost the link. */
export interface Result {
  sender: string;
  done: boolean;
  seconds: number;
  delivered: number;
  payloadBytes: number;
  socketBytes: number;
  resentBytes: number;
  routeMs: number | null;
  reconnects: number;
}

/** The readings' JSON bytes of a backlog of `count`. */
export const jsonOf = (count: number): number =>
  readings(count).reduce((n, r) => n + JSON.stringify(r).length, 0);

/** A plain aedes broker (library defaults) counting the naive client's reports and its control message. */
export async function startNaiveBroker() {
  const broker = await Aedes.createBroker();
  const state = { seen: new Set<number>(), duplicateBytes: 0, lastAt: 0, controlAt: 0 };
  broker.on('publish', (packet, client) => {
    if (!client) return;
    if (packet.topic === 'naive/control') state.controlAt = Date.now();
    if (packet.topic !== 'naive/reports') return;
    const { n } = JSON.parse(packet.payload.toString()) as { n: number };
    if (state.seen.has(n)) state.duplicateBytes += packet.payload.length;
    else {
      state.seen.add(n);
      state.lastAt = Date.now();
    }
  });
  const server = createServer((socket) => broker.handle(socket));
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    reset: () =>
      Object.assign(state, { seen: new Set<number>(), duplicateBytes: 0, lastAt: 0, controlAt: 0 }),
    state,
    close: () => new Promise<void>((resolve) => server.close(() => broker.close(() => resolve()))),
  };
}

/** The naive client's broker: its port, what it has seen of the reports, and its close. */
export type NaiveBroker = Awaited<ReturnType<typeof startNaiveBroker>>;

/**
 * A real agent behind `link` (down while it takes `count` readings, then up) reporting to `cp`, and a service
 * added 30 % into the drain: until every report is stored, or the time allowed for `expectedSeconds` runs out.
 */
export async function runTether(
  link: ShapedLink,
  cp: ControlPlane,
  id: string,
  count: number,
  expectedSeconds: number,
  rtoMin: string | undefined,
): Promise<Omit<Result, 'sender'>> {
  const secret = await cp.addAgent(id);
  link.setUp(false);
  const edge = await startEdge({
    id,
    secret,
    url: `mqtt://${link.hubAddress}:${new URL(cp.mqttUrl).port}`,
    strategy: 'local',
    netns: { wrap: link.wrap, apiHost: link.agentApiAddress },
    args: ['--log-level', 'warn'],
  });
  await postReadings(edge.apiBase, 'metrics', count);
  link.setUp(true, rtoMin);
  type Status = {
    state: string;
    connectedSince: number | null;
    reconnects: number;
    uplink: { bytesSent: number; bytesResent: number };
  };
  const status = async (): Promise<Status> => (await edge.api<Status>('/v1/status')).body;
  const up = await waitFor(
    async () => {
      const s = await status();
      return s.state === 'connected' && s;
    },
    'the agent connected',
    { timeoutMs: 60_000, intervalMs: 50 },
  );
  const t0 = up.connectedSince!;
  const timeoutMs = expectedSeconds * 4000 + 60_000;
  const route = (async (): Promise<number | null> => {
    await sleep(Math.max(0, t0 + expectedSeconds * 300 - Date.now()));
    const asked = Date.now();
    await edge.api('/v1/services', {
      method: 'POST',
      body: JSON.stringify({ name: `${id}-svc`, url: 'http://127.0.0.1:9/' }),
    });
    const seen = await waitFor(
      async () => {
        const res = await cp.api<{ routes: { service: string }[] }>(`/api/v1/routes?agent=${id}`);
        return res.body.routes.some((r) => r.service === `${id}-svc`);
      },
      'the route at the hub',
      { timeoutMs, intervalMs: 50 },
    ).catch(() => false);
    return seen ? Date.now() - asked : null;
  })();
  type StreamRow = { agent: string; stream: string; count: number; lastReceivedAt: number };
  const stored = await waitFor(
    async () => {
      const res = await cp.api<{ streams: StreamRow[] }>('/api/v1/streams');
      const row = res.body.streams.find((s) => s.agent === id && s.stream === 'metrics');
      return row !== undefined && row.count === count && row;
    },
    `${count} reports stored`,
    { timeoutMs, intervalMs: 200 },
  ).catch(() => undefined);
  const routeMs = await route;
  const after = await status();
  const socketBytes = sampleValue(
    await scrape(`${edge.apiBase}/metrics`),
    'tether_agent_socket_bytes_written_total',
  );
  await edge.proc.stop();
  return {
    done: stored !== undefined,
    seconds: stored ? (stored.lastReceivedAt - t0) / 1000 : timeoutMs / 1000,
    delivered: stored ? count : 0,
    payloadBytes: after.uplink.bytesSent - after.uplink.bytesResent,
    socketBytes,
    resentBytes: after.uplink.bytesResent,
    routeMs,
    reconnects: after.reconnects - up.reconnects,
  };
}

/**
 * The naive client (slow-link-naive.ts) in the link's namespace publishing `count` readings as QoS 1 messages to
 * `broker`, and one control message 30 % in: until the broker has them all, or the time allowed runs out.
 */
export async function runNaive(
  link: ShapedLink,
  broker: NaiveBroker,
  count: number,
  expectedSeconds: number,
  rtoMin: string | undefined,
): Promise<Omit<Result, 'sender'>> {
  broker.reset();
  link.setUp(false);
  link.setUp(true, rtoMin);
  const url = `mqtt://${link.hubAddress}:${broker.port}`;
  const [command, ...prefix] = [...link.wrap, process.execPath];
  const child = spawn(command, [...prefix, '--import', 'tsx', NAIVE, url, String(count)], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines: Array<Record<string, { socketBytes: number; connects: number } | number>> = [];
  createInterface({ input: child.stdout }).on('line', (l) =>
    lines.push(JSON.parse(l) as (typeof lines)[number]),
  );
  const ready = await waitFor(() => lines.find((l) => 'ready' in l), 'the naive client connected', {
    timeoutMs: 30_000,
  });
  const t0 = ready.at as number;
  const timeoutMs = expectedSeconds * 3000 + 60_000;
  await sleep(Math.max(0, t0 + expectedSeconds * 300 - Date.now()));
  const asked = Date.now();
  child.stdin.write('control\n');
  const finished = await waitFor(
    () => broker.state.seen.size === count || lines.some((l) => 'done' in l),
    'all reports',
    {
      timeoutMs,
      intervalMs: 200,
    },
  ).catch(() => false);
  if (!lines.some((l) => 'done' in l)) {
    child.kill('SIGTERM');
    await waitFor(() => lines.some((l) => 'progress' in l), 'the naive client stopped', {
      timeoutMs: 10_000,
    }).catch(() => 0);
  }
  child.kill('SIGKILL');
  const last = lines.find((l) => 'done' in l || 'progress' in l);
  const figures = (last?.done ?? last?.progress) as { socketBytes: number; connects: number } | undefined;
  const payloadBytes = jsonOf(count);
  const delivered = broker.state.seen.size;
  return {
    done: finished !== false && delivered === count,
    seconds: delivered === count ? (broker.state.lastAt - t0) / 1000 : timeoutMs / 1000,
    delivered,
    payloadBytes,
    socketBytes: figures?.socketBytes ?? 0,
    resentBytes: broker.state.duplicateBytes,
    routeMs: broker.state.controlAt ? broker.state.controlAt - asked : null,
    reconnects: Math.max(0, (figures?.connects ?? 1) - 1),
  };
}
