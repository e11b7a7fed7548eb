import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Clock } from '@tether/shared';
import {
  loadNativeAddon,
  NATIVE_DIR,
  ownedAddonCopy,
  snapshotAddon,
  sqliteAddonSource,
} from '../native-binding.js';
import { LazyOutbox } from './lazy-outbox.js';
import type { OutboxLimits } from './outbox-types.js';

/** The outbox file's name in the state dir. */
export const OUTBOX_FILE = 'outbox.db';

/**
 * The agent's report outbox in `stateDir`, opened lazily (LazyOutbox): better-sqlite3 is imported, its addon loaded
 * and the file opened only at the first report, or now if a previous run left the file. The addon shipped beside the
 * bundle is snapshotted now (a kernel-side copy: nothing read into memory), so a build replaced on disk before the
 * first report cannot bring an addon this bundle was not built with; the single executable's embedded addon is its
 * own and is written out only when needed.
 */
export async function openAgentOutbox(options: {
  stateDir: string;
  limits: OutboxLimits;
  clock: Clock;
}): Promise<LazyOutbox> {
  const file = path.join(options.stateDir, OUTBOX_FILE);
  const nativeDir = path.join(options.stateDir, NATIVE_DIR);
  const shipped = sqliteAddonSource();
  const source = shipped?.kind === 'file' ? await snapshotAddon(shipped.file, nativeDir) : shipped;
  const outbox = new LazyOutbox(async () => {
    const addon = source ? await ownedAddonCopy(source, nativeDir) : undefined;
    // Loaded here, not imported at the top: an agent that is never sent a report never evaluates better-sqlite3.
    const { Outbox } = await import('./outbox.js');
    return Outbox.open({
      file,
      limits: options.limits,
      clock: options.clock,
      ...(addon ? { nativeBinding: loadNativeAddon(addon) } : {}),
    });
  });
  if (existsSync(file)) await outbox.openNow();
  return outbox;
}
