/**
 * What bench:scale reads from the processes it measures: CPU from /proc, the control plane's /metrics, Redis's
 * command counts, the kernel's listen-queue drops.
 */
import { readFileSync } from 'node:fs';
import { redisCli } from '../helpers/redis-cli.js';
import type { ControlPlane } from '../helpers/tether.js';

const now = (): number => performance.timeOrigin + performance.now();

/** CPU seconds (user + system) a process used so far, from /proc. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A function returning the CPU seconds each process used since this call. */
export function cpuOf(procs: { pid?: number | undefined }[]): () => number[] {
  const before = procs.map((p) => cpuSeconds(p.pid!));
  return () => procs.map((p, i) => cpuSeconds(p.pid!) - before[i]!);
}
/** The kernel's count of handshakes dropped by full listen queues (whole machine: other load counts too). */
export function listenOverflows(): number {
  const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
  const names = lines.find((l) => l.startsWith('TcpExt:'))?.split(' ') ?? [];
  const values = lines.filter((l) => l.startsWith('TcpExt:'))[1]?.split(' ') ?? [];
  return Number(values[names.indexOf('ListenOverflows')] ?? 0);
}

/** One line of the storm's progress (`--trace`): the control plane's gauges and counters that tell where it is. */
/** GC pauses (all kinds) longer than `le` seconds so far, from nodejs_gc_duration_seconds's buckets. */
function slowGcs(metrics: string, le: string): number {
  const sum = (re: RegExp): number => [...metrics.matchAll(re)].reduce((n, m) => n + Number(m[1]), 0);
  return (
    sum(/^nodejs_gc_duration_seconds_count\{kind="\w+"\} (\d+)$/gm) -
    sum(new RegExp(`^nodejs_gc_duration_seconds_bucket\\{le="${le}",kind="\\w+"\\} (\\d+)$`, 'gm'))
  );
}

export async function traceStorm(cp: ControlPlane, started: number): Promise<void> {
  const text = await (await fetch(`${cp.apiBase}/metrics`).catch(() => undefined))?.text();
  if (!text) return;
  const pick = (re: RegExp): string => [...text.matchAll(re)].map((m) => `${m[1]}=${m[2]}`).join(' ');
  console.log(
    `  +${((now() - started) / 1000).toFixed(0)} s`,
    pick(/^tether_routes\{state="(active)"\} (\d+)$/gm),
    pick(/^tether_(connects_(?:in_flight|waiting)) (\d+)$/gm),
    pick(/^tether_resumes_total\{outcome="([\w-]+)"\} (\d+)$/gm),
    pick(/^tether_connect_refusals_total\{reason="(\w+)"\} (\d+)$/gm),
    pick(/^nodejs_(eventloop_lag_(?:p99|max))_seconds ([\d.e+-]+)$/gm),
    pick(/^nodejs_gc_duration_seconds_sum\{kind="(\w+)"\} ([\d.e+-]+)$/gm),
    `GC pauses over 10 ms=${slowGcs(text, '0.01')}, over 100 ms=${slowGcs(text, '0.1')}`,
    `listen-queue drops so far=${listenOverflows()}`,
  );
}

/** CONNECTs refused as busy (connects in flight at their bound) so far. */
export async function busyRefusals(cp: ControlPlane): Promise<number> {
  const text = await (await fetch(`${cp.apiBase}/metrics`)).text();
  return Number(/^tether_connect_refusals_total\{reason="busy"\} (\d+)$/m.exec(text)?.[1] ?? 0);
}

/** Sockets refused by the admission rate (all sources) so far. */
export async function admissionRefusals(cp: ControlPlane): Promise<number> {
  const text = await (await fetch(`${cp.apiBase}/metrics`)).text();
  return Number(/^tether_socket_refusals_total\{reason="admission"\} (\d+)$/m.exec(text)?.[1] ?? 0);
}

/** Routes active now (`tether_routes{state="active"}`). */
export async function activeRoutes(cp: ControlPlane): Promise<number> {
  const text = await (await fetch(`${cp.apiBase}/metrics`)).text();
  return Number(/^tether_routes\{state="active"\} (\d+)$/m.exec(text)?.[1] ?? 0);
}

/** Event-loop seconds by connect stage, from a control plane's /metrics (to subtract two readings). */
export async function stageSeconds(cp: ControlPlane): Promise<Map<string, number>> {
  const text = await (await fetch(`${cp.apiBase}/metrics`)).text();
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^tether_sync_stage_seconds_total\{stage="(\w+)"\} ([\d.e+-]+)$/gm))
    out.set(m[1]!, Number(m[2]));
  return out;
}

/** Group commits so far (`tether_sync_stage_runs_total{stage="commit"}`). */
export async function commitRuns(cp: ControlPlane): Promise<number> {
  const text = await (await fetch(`${cp.apiBase}/metrics`)).text();
  return Number(/^tether_sync_stage_runs_total\{stage="commit"\} (\d+)$/m.exec(text)?.[1] ?? 0);
}

/** A process's write(2)-family calls and bytes written to storage so far (/proc/PID/io). */
export function writesOf(pid: number): { syscw: number; writeBytes: number } {
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(io)?.[1] ?? 0);
  return { syscw: field('syscw'), writeBytes: field('write_bytes') };
}

/** Event-loop ms per moved agent by stage between two readings. */
export function stagesBetween(
  before: Map<string, number>,
  after: Map<string, number>,
  agents: number,
): string {
  const parts: string[] = [];
  for (const [stage, s] of after) {
    const per = ((s - (before.get(stage) ?? 0)) * 1000) / Math.max(1, agents);
    if (per >= 0.005) parts.push(`${stage} ${per.toFixed(2)}`);
  }
  return parts.join(', ');
}

/** Redis calls by command so far (`INFO commandstats`). */
export async function redisCalls(port: number): Promise<Map<string, number>> {
  const { stdout } = await redisCli(port, ['INFO', 'commandstats']);
  return new Map([...stdout.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)].map((m) => [m[1]!, Number(m[2])]));
}

/** Redis calls per moved agent between two readings, the largest first. */
export function callsBetween(
  before: Map<string, number>,
  after: Map<string, number>,
  agents: number,
): string {
  const per = [...after].map(([c, n]) => [c, (n - (before.get(c) ?? 0)) / Math.max(1, agents)] as const);
  const total = per.reduce((t, [, n]) => t + n, 0);
  const top = per.filter(([, n]) => n >= 0.05).sort((a, b) => b[1] - a[1]);
  return `${total.toFixed(1)} (${top.map(([c, n]) => `${c} ${n.toFixed(1)}`).join(', ')})`;
}
