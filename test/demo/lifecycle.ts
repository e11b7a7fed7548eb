import { stopAll } from '../helpers/processes.js';

/** The demo's one way out: stops every spawned process, then `cleanup` (servers of its own), then exits. */
export function demoShutdown(
  cleanup: () => Promise<void> = async () => undefined,
): (code?: number) => Promise<void> {
  let stopping = false;
  return async (code = 0) => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping...');
    await stopAll();
    await cleanup();
    process.exit(code);
  };
}

/** With `--once` stops at once; otherwise runs until Ctrl-C (or SIGTERM). */
export async function runUntilStopped(shutdown: (code?: number) => Promise<void>): Promise<void> {
  if (process.argv.includes('--once')) return shutdown();
  console.log('\nRunning. Press Ctrl-C to stop.');
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
}
