/**
 * A TLS storm larger than the admission burst, against one or more builds of the control plane side by side
 * (used by `pnpm bench:tls`): `clients` raw TLS connects at once (node:tls, CA-verified, from several 127.0.0.x
 * source addresses) while `/healthz` is probed over one kept-alive HTTPS connection. Per build and round: the
 * control plane's CPU ms per connect, `/healthz` p99 during the storm, the connects refused (by the server's
 * `tether_socket_refusals_total`) and how many of those still cost a full handshake (the client saw
 * `secureConnect` on more sockets than the server admitted).
 */
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { counter } from '../helpers/cli.js';
import type { RateSpec } from '@tether/shared';
import { httpsText, type ControlPlane } from '../helpers/tether.js';
import { quantile } from './stats.js';
import type { StormRequest } from './tls-storm-clients.js';

/** A child process making the storm's connects (tls-storm-clients.ts); `kill()` it when done. */
export const forkStormClients = (): ChildProcess =>
  fork(join(import.meta.dirname, 'tls-storm-clients.ts'), [], { execArgv: ['--import', 'tsx'] });

/** A storm's limits: only keys every build's config schema knows. */
export interface StormScenario {
  title: string;
  limits: { connectRate: RateSpec; admissionRate: RateSpec };
}

/** The storms: one refused in the most part (over the admission rate), one admitted whole (paced handshakes). */
export const STORM_SCENARIOS: StormScenario[] = [
  {
    title: 'over the admission rate',
    limits: {
      connectRate: { perSecond: 100_000, burst: 100_000 },
      admissionRate: { perSecond: 20, burst: 100 },
    },
  },
  {
    title: 'all admitted (rates off)',
    limits: {
      connectRate: { perSecond: 100_000, burst: 100_000 },
      admissionRate: { perSecond: 100_000, burst: 100_000 },
    },
  },
];

/** One round's figures for one build. */
export interface StormRound {
  cpuMsPerConnect: number;
  healthzP99: number;
  refused: number;
  /** Connects refused by the server whose client still completed a handshake. */
  refusedHandshakes: number;
}

/** CPU time (user + system, ms) the process has used so far, from /proc (Linux). */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in USER_HZ (100)
}

/** A text GET over `agent` (one kept-alive TLS connection), tried again once if the kept-alive connection was closed under it. */
async function get(url: string, agent: Agent): Promise<string> {
  try {
    return await httpsText(url, { agent });
  } catch {
    return httpsText(url, { agent });
  }
}

const REFUSALS = ['rate_limited', 'admission', 'handshakes'];

async function refusals(cp: ControlPlane, agent: Agent): Promise<number> {
  const text = await get(`${cp.apiBase}/metrics`, agent);
  return REFUSALS.reduce((n, r) => n + counter(text, 'tether_socket_refusals_total', `"${r}"`), 0);
}

/** Runs one storm of `clients` connects against `cp` (its mqtts port); bounded by the clients' own timeouts. */
export async function refusedStorm(
  cp: ControlPlane,
  ca: string,
  clients: number,
  child: ChildProcess,
): Promise<StormRound> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1, ca });
  const port = Number(new URL(cp.mqttsUrl!).port);
  const pid = cp.proc.child.pid!;
  const refusedBefore = await refusals(cp, agent);
  const cpuBefore = cpuMs(pid);
  let storming = true;
  const latencies: number[] = [];
  const probe = (async () => {
    for (let i = 0; storming && i < 100_000; i++) {
      const t0 = performance.now();
      await get(`${cp.apiBase}/healthz`, agent);
      latencies.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const done = new Promise<number>((resolve) =>
    child.once('message', (m: { secure: number }) => resolve(m.secure)),
  );
  child.send({ port, ca, clients } satisfies StormRequest);
  const handshakes = await done;
  storming = false;
  await probe;
  const cpu = cpuMs(pid) - cpuBefore;
  const refused = (await refusals(cp, agent)) - refusedBefore;
  agent.destroy();
  return {
    cpuMsPerConnect: cpu / clients,
    healthzP99: quantile(latencies, 0.99),
    refused,
    refusedHandshakes: Math.max(0, handshakes - (clients - refused)),
  };
}
