import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { UpgradeResultSchema, type UpgradeResult } from '@tether/shared';
import { writeFileAtomic } from '../state/atomic-write.js';

/** The last upgrade's outcome in the state dir: reported on every connect until the hub has it, and answered to a repeated offer. */
export const OUTCOME_FILE = 'upgrade-outcome.json';

/** The stored outcome of the last upgrade, or undefined (none, or unreadable: the hub offers again). */
export async function readOutcome(stateDir: string): Promise<UpgradeResult | undefined> {
  try {
    const parsed = UpgradeResultSchema.safeParse(
      JSON.parse(await readFile(path.join(stateDir, OUTCOME_FILE), 'utf8')),
    );
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Records the outcome of an upgrade (atomically). */
export async function writeOutcome(stateDir: string, result: UpgradeResult): Promise<void> {
  await writeFileAtomic(path.join(stateDir, OUTCOME_FILE), JSON.stringify(result));
}

/** Forgets the stored outcome. */
export async function clearOutcome(stateDir: string): Promise<void> {
  await rm(path.join(stateDir, OUTCOME_FILE), { force: true });
}
