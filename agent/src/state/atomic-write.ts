import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { ensurePrivateDir } from '@tether/shared';

/** Makes the state directory readable by its owner only (0700): created so, or tightened (ensurePrivateDir). */
export async function ensureStateDir(dir: string): Promise<void> {
  ensurePrivateDir(dir, 'state dir');
}

/** Writes a file atomically: a temporary sibling, fsync'd, then renamed over the target (mode 0600). */
export async function writeFileAtomic(file: string, data: string): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
