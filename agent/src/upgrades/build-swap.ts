import { chmod, link, rename, rm, stat } from 'node:fs/promises';

/** Where the build an upgrade replaced is kept, for a rollback. */
export function previousPath(file: string): string {
  return `${file}.previous`;
}

/**
 * Puts a staged build in place of `file`: the running build is kept as `file.previous` (a hard link: the same
 * inode, which the running process keeps), then the staged file is renamed over `file` (atomic). The staged file
 * gets the running one's mode, so an executable stays executable.
 */
export async function swapIn(file: string, staged: string): Promise<void> {
  const { mode } = await stat(file);
  await chmod(staged, mode & 0o7777);
  await rm(previousPath(file), { force: true });
  await link(file, previousPath(file));
  await rename(staged, file);
}

/** Puts the previous build back in place of `file` (atomic rename). */
export async function rollBack(file: string): Promise<void> {
  await rename(previousPath(file), file);
}
