import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { constants } from 'node:fs';
import { chmod, copyFile, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { getRawAsset, isSea } from 'node:sea';
import { fileURLToPath } from 'node:url';

/** The file name of better-sqlite3's native addon: beside the bundle, and the single executable's asset name. */
export const SQLITE_ADDON = 'better_sqlite3.node';
/** The folder of the state dir that holds the agent's own copies of its native addon. */
export const NATIVE_DIR = 'native';

/** Where the addon comes from: a file on disk, or the bytes the single executable embeds. */
export type AddonSource = { kind: 'file'; file: string } | { kind: 'embedded'; bytes: Uint8Array };

/**
 * Where better-sqlite3's native addon comes from: `TETHER_SQLITE_ADDON` if set, else the single executable's
 * embedded asset, else `better_sqlite3.node` beside this module (the bundle ships it there), else undefined
 * (running from the workspace: better-sqlite3 finds its own in node_modules).
 */
export function sqliteAddonSource(
  env: Record<string, string | undefined> = process.env,
): AddonSource | undefined {
  const fromEnv = env.TETHER_SQLITE_ADDON;
  if (fromEnv) return { kind: 'file', file: fromEnv };
  // The asset as mapped from the executable, not copied (only written out, never modified).
  if (isSea()) return { kind: 'embedded', bytes: new Uint8Array(getRawAsset(SQLITE_ADDON) as ArrayBuffer) };
  const beside = path.join(path.dirname(fileURLToPath(import.meta.url)), SQLITE_ADDON);
  return existsSync(beside) ? { kind: 'file', file: beside } : undefined;
}

/** The sha256 of a file, read in chunks (no copy of the whole addon on the heap). */
async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** `snapshotAddon`'s copy: a `.tmp` name, so `ownedAddonCopy` removes it once adopted. */
const SHIPPED_SNAPSHOT = '.shipped.tmp';

const addonName = (digest: string): string => `${path.basename(SQLITE_ADDON, '.node')}-${digest}.node`;

/**
 * The agent's own copy of its addon, named by content (`DIR/better_sqlite3-<sha256>.node`) and written beside (a
 * temporary file, hashed, then renamed to its name) unless a copy of that name and size is there; other copies are
 * removed (unlinking a mapped file is safe, unlike rewriting it). A process maps the addon it loads: replacing that
 * file in place (`cp`, `scp`, `copyFileSync` over it) crashes the process with SIGSEGV. The shipped file may be
 * replaced at any time; this copy never is, and a different build brings a different name.
 */
export async function ownedAddonCopy(source: AddonSource, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const digest =
    source.kind === 'file'
      ? await fileSha256(source.file)
      : createHash('sha256').update(source.bytes).digest('hex');
  const size = source.kind === 'file' ? (await stat(source.file)).size : source.bytes.byteLength;
  let name = addonName(digest);
  const present = await stat(path.join(dir, name)).catch(() => undefined);
  if (present?.size !== size) {
    const tmp = path.join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
    if (source.kind === 'file') await copyFile(source.file, tmp);
    else await writeFile(tmp, source.bytes);
    // Named by what was copied: the shipped file may have been replaced since it was hashed.
    name = addonName(await fileSha256(tmp));
    await chmod(tmp, 0o500);
    await rename(tmp, path.join(dir, name));
  }
  for (const other of await readdir(dir)) {
    if (other !== name && (other.endsWith('.node') || other.endsWith('.tmp')))
      await rm(path.join(dir, other), { force: true });
  }
  return path.join(dir, name);
}

/**
 * A private copy of the shipped addon file, taken now by the kernel (`copyFile`, a reflink where the file system can)
 * and kept as `DIR/.shipped.tmp` until `ownedAddonCopy` adopts it: no byte passes through this process, so an agent
 * that never needs SQLite pays no memory for it, and a shipped file overwritten later cannot change what it loads.
 */
export async function snapshotAddon(file: string, dir: string): Promise<AddonSource> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const snapshot = path.join(dir, SHIPPED_SNAPSHOT);
  await copyFile(file, snapshot, constants.COPYFILE_FICLONE);
  return { kind: 'file', file: snapshot };
}

/**
 * Loads a native addon by `process.dlopen` (what `require` does for a `.node` file, but also inside the single
 * executable, whose `require` loads built-in modules only), for better-sqlite3's `nativeBinding` option.
 */
export function loadNativeAddon(file: string): object {
  const module = { exports: {} };
  process.dlopen(module, file);
  return module.exports;
}
