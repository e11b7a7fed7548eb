import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { expect } from 'vitest';
import { AGENT_BUNDLE, runNode, spawnNode, tempDir, type Proc } from './processes.js';
import type { ControlPlane } from './tether.js';
import { waitFor } from './wait.js';

/** One agent of a rollout, as the API shows it. */
export interface Target {
  agentId: string;
  state: string;
  version: string | null;
  reason: string | null;
  fetchedBytes: number;
}

/** A rollout, as the API shows it. */
export interface Rollout {
  id: string;
  state: string;
  reason: string | null;
  targets: Target[];
}

interface AgentView {
  id: string;
  status: string;
  version: string | null;
}

/** A device: a build (the bundle and its addon, or the executable) in a directory of its own, enrolled. */
export interface Device {
  id: string;
  dir: string;
  /** The build file the device runs: `tether-agent.mjs` (with node) or the executable `tether-agent`. */
  bundle: string;
  stateDir: string;
  proc: Proc;
}

/** The version literal every build of this checkout carries (the bundle's and the executable's script). */
export const VERSION_LITERAL = 'var AGENT_VERSION="0.1.0"';

/** `build` (a bundle or an executable) reporting `version` instead: a new build, made cheaply. Same length only. */
export function buildWithVersion(version: string, build: string = AGENT_BUNDLE): string {
  const bytes = readFileSync(build);
  const at = bytes.indexOf(VERSION_LITERAL);
  expect(at).toBeGreaterThanOrEqual(0);
  const literal = `var AGENT_VERSION="${version}"`;
  expect(literal.length).toBe(VERSION_LITERAL.length);
  const file = join(tempDir('tether-build-'), basename(build));
  writeFileSync(
    file,
    Buffer.concat([bytes.subarray(0, at), Buffer.from(literal), bytes.subarray(at + literal.length)]),
    {
      mode: 0o755,
    },
  );
  return file;
}

/** Installs `build` (the bundle, with its addon, or the executable) in a device directory and enrolls it. */
export async function enrollDevice(
  cp: ControlPlane,
  id: string,
  build: string = AGENT_BUNDLE,
): Promise<Omit<Device, 'proc'>> {
  const dir = tempDir(`tether-device-${id}-`);
  const bundle = join(dir, basename(build));
  copyFileSync(build, bundle);
  const script = bundle.endsWith('.mjs');
  if (script) copyFileSync(join(build, '..', 'better_sqlite3.node'), join(dir, 'better_sqlite3.node'));
  const grant = await cp.api<{ grant: string }>('/api/v1/grants', {
    method: 'POST',
    body: JSON.stringify({ id }),
  });
  const stateDir = join(dir, 'state');
  const args = ['enroll', '--grant', grant.body.grant, '--state-dir', stateDir];
  const res = script ? await runNode([bundle, ...args]) : await runNode(args, {}, 20_000, undefined, bundle);
  expect(res.code, res.stderr).toBe(0);
  return { id, dir, bundle, stateDir };
}

/** Runs an enrolled device's build (in a process group of its own: the builds it hands over to go with it). */
export async function runDevice(device: Omit<Device, 'proc'>): Promise<Device> {
  const args = ['run', '--state-dir', device.stateDir, '--api-port', '0'];
  const proc = device.bundle.endsWith('.mjs')
    ? await spawnNode([device.bundle, ...args], {}, 20_000, [], process.execPath, true)
    : await spawnNode(args, {}, 20_000, [], device.bundle, true);
  return { ...device, proc };
}

/** Waits (30 s at most) for the rollout `id` to satisfy `done`. */
export async function rollout(
  cp: ControlPlane,
  id: string,
  done: (r: Rollout) => boolean,
  what: string,
): Promise<Rollout> {
  return waitFor(
    async () => {
      const res = await cp.api<Rollout>(`/api/v1/upgrades/${id}`);
      return done(res.body) && res.body;
    },
    what,
    { timeoutMs: 30_000, intervalMs: 100 },
  );
}

/** POST /api/v1/upgrades with the build file's bytes and `query` (agents, canary, deadlineMs). */
export async function startUpgrade(cp: ControlPlane, file: string, query: string): Promise<Rollout> {
  const res = await cp.fetch(`/api/v1/upgrades?${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: readFileSync(file),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as Rollout;
}

/** The version of every online agent, by id. */
export async function versions(cp: ControlPlane): Promise<Record<string, string | null>> {
  const res = await cp.api<{ agents: AgentView[] }>('/api/v1/agents');
  return Object.fromEntries(
    res.body.agents.filter((a) => a.status === 'online').map((a) => [a.id, a.version]),
  );
}
