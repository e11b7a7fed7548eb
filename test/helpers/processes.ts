import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The built CLIs (run `pnpm build` first; `pnpm test` does). */
export const CP_BIN = join(ROOT, 'control-plane', 'bin', 'tether-cp.js');
export const AGENT_BIN = join(ROOT, 'agent', 'bin', 'tether-agent.js');
export const AGENT_BUNDLE = join(ROOT, 'agent', 'dist', 'tether-agent.mjs');

const running = new Set<ChildProcess>();
// Process groups of children that start others (an agent upgrading itself starts its new build and exits).
const groups = new Set<number>();
function killGroups(): void {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  groups.clear();
}
// Whatever ends this process, it never leaves a control plane or agent behind.
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
  killGroups();
});

/** A fresh temporary directory. */
export function tempDir(prefix = 'tether-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A child process started by the harness, with its captured stderr for failure messages. */
export interface Proc {
  child: ChildProcess;
  /** The first JSON line it printed on stdout. */
  ready: Record<string, number>;
  /** Everything it wrote on stderr so far. */
  stderr(): string;
  /** Stops it (SIGTERM by default, SIGKILL for `kill -9`) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Spawns `node <args>` (or `program <args>`) from the repository root, killed when this process exits; `wrap` runs
 * it through a command that execs it in place (`ip netns exec NS`), so the pid stays the node process's.
 */
function spawnTracked(
  args: string[],
  env: Record<string, string>,
  stdin = false,
  wrap: readonly string[] = [],
  program: string = process.execPath,
  group = false,
): ChildProcessByStdio<Writable | null, Readable, Readable> {
  const [command, ...prefix] = [...wrap, program];
  const child = spawn(command, [...prefix, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    detached: group,
  }) as ChildProcessByStdio<Writable | null, Readable, Readable>;
  running.add(child);
  if (group && child.pid !== undefined) groups.add(child.pid);
  return child;
}

/**
 * Spawns `node <args>` (or `program <args>`) and resolves once it prints its first JSON line on stdout. With
 * `group`, in a process group of its own, killed whole by stopAll (and at exit): what it starts goes with it.
 */
export async function spawnNode(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 20_000,
  wrap: readonly string[] = [],
  program: string = process.execPath,
  group = false,
): Promise<Proc> {
  const child = spawnTracked(args, env, false, wrap, program, group);
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    if (err.length > 200_000) err = err.slice(-100_000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(() => running.delete(child));
  const ready = await new Promise<Record<string, number>>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no ready line from ${args.join(' ')}\n${err}`)),
      timeoutMs,
    );
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line) as Record<string, number>);
      } catch {
        reject(new Error(`not a JSON ready line: ${line}\n${err}`));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited with ${code} before it was ready\n${err}`));
    });
  });
  return {
    child,
    ready,
    stderr: () => err,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
}

/** The outcome of a command run to completion. */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node <args>` (or `program <args>`) to completion (bounded by `timeoutMs`, fed `input` on stdin) and returns its exit code and output. */
export function runNode(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 20_000,
  input?: string,
  program: string = process.execPath,
): Promise<RunResult> {
  const child = spawnTracked(args, env, input !== undefined, [], program);
  if (input !== undefined) child.stdin?.end(input);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Kills every process the harness started (afterAll), process groups whole. */
export async function stopAll(): Promise<void> {
  killGroups();
  await Promise.all(
    [...running].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGKILL');
        }),
    ),
  );
}
