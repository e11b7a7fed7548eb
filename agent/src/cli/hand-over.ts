import { spawn } from 'node:child_process';
import type { ThisBuild } from '../upgrades/this-build.js';
import type { StagedBuild } from '../upgrades/upgrade-receiver.js';
import { rollBack, swapIn } from '../upgrades/build-swap.js';
import type { AgentLogger } from '../observability/logger.js';

/** The environment variable that tells a new build which upgrade started it (it reports `upgraded` once connected). */
export const UPGRADE_ID_ENV = 'TETHER_UPGRADE_ID';
/** The message a new build sends its predecessor over IPC once it connected and reported. */
export const UPGRADED_MESSAGE = 'tether-upgraded';
/** How long a new build that missed its deadline gets to exit after SIGKILL before the rollback goes on anyway. */
const KILL_WAIT_MS = 5_000;

/** What became of a hand-over: the new build connected (it runs on), or the previous build was put back. */
export type HandOverResult = { ok: true; pid: number } | { ok: false; reason: string };

/**
 * Swaps the staged build in and starts it with this process's arguments (its state dir pinned by environment),
 * then watches it: once it says it connected (IPC), it is left running on its own; if it exits first or the
 * deadline passes, it is killed and the previous build is renamed back. The caller, whose agent is closed,
 * exits on success or starts its agent again after a rollback.
 */
export async function handOver(
  build: ThisBuild,
  staged: StagedBuild,
  args: readonly string[],
  stateDir: string,
  logger: AgentLogger,
): Promise<HandOverResult> {
  await swapIn(build.file, staged.file);
  const [command, ...prefix] = build.command;
  const child = spawn(command ?? process.execPath, [...prefix, ...args], {
    env: { ...process.env, [UPGRADE_ID_ENV]: staged.upgrade, TETHER_STATE_DIR: stateDir },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  logger.info(
    { upgrade: staged.upgrade, pid: child.pid, deadlineMs: staged.deadlineMs },
    'started the new build',
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const outcome = await new Promise<HandOverResult>((resolve) => {
    const timer = setTimeout(
      () => resolve({ ok: false, reason: `the new build did not connect within ${staged.deadlineMs} ms` }),
      staged.deadlineMs,
    );
    child.on('message', (message: unknown) => {
      if ((message as { type?: unknown } | null)?.type !== UPGRADED_MESSAGE) return;
      clearTimeout(timer);
      resolve({ ok: true, pid: child.pid ?? 0 });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ ok: false, reason: `the new build exited (${code ?? signal}) before it connected` });
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, reason: `the new build could not be started: ${err.message}` });
    });
  });
  if (outcome.ok) {
    child.disconnect();
    child.unref();
    return outcome;
  }
  child.kill('SIGKILL');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, KILL_WAIT_MS).unref())]);
  await rollBack(build.file);
  logger.warn(
    { upgrade: staged.upgrade, reason: outcome.reason },
    'upgrade rolled back: the previous build runs again',
  );
  return outcome;
}
