import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Runs one full garbage collection `afterMs` after the agent started (by then it has connected and synced), so an
 * idle agent does not keep its start-up garbage (~6-8 MiB of heap: config parsing, schemas, the first sync) until
 * V8's memory reducer gets to it, ~16 s later on a quiet machine and not within 20 s on a loaded one. Once, never
 * again: the hot paths keep V8's default tuning (`--optimize-for-size` saved the same memory but cost the agent
 * ~18% more CPU per tunnelled request in bench:tunnel).
 */
export function collectStartupGarbage(afterMs = 3_000): void {
  setFlagsFromString('--expose-gc');
  const gc: unknown = runInNewContext('gc');
  if (typeof gc !== 'function') return;
  setTimeout(gc as () => void, afterMs).unref();
}
