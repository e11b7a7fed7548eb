import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { getAsset, isSea } from 'node:sea';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from './state/atomic-write.js';

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
  if (isSea()) return { kind: 'embedded', bytes: new Uint8Array(getAsset(SQLITE_ADDON)) };
  const beside = path.join(path.dirname(fileURLToPath(import.meta.url)), SQLITE_ADDON);
  return existsSync(beside) ? { kind: 'file', file: beside } : undefined;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/**
 * The agent's own copy of its addon, named by content (`DIR/better_sqlite3-<sha256>.node`), written beside (a
 * temporary file, then a rename) unless an intact one is there; other copies are removed (unlinking a mapped file
 * is safe, unlike rewriting it). A process maps the addon it loads: replacing that file in place (`cp`, `scp`,
 * `copyFileSync` over it) crashes the process with SIGSEGV. The shipped file may be replaced at any time; this copy
 * never is, and a different build brings a different name.
 */
export async function ownedAddonCopy(source: AddonSource, dir: string): Promise<string> {
  const bytes = source.kind === 'file' ? await readFile(source.file) : source.bytes;
  const digest = sha256(bytes);
  const name = `${path.basename(SQLITE_ADDON, '.node')}-${digest}.node`;
  const file = path.join(dir, name);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const present = await readFile(file).catch(() => undefined);
  if (!present || sha256(present) !== digest) await writeFileAtomic(file, bytes, 0o500);
  for (const other of await readdir(dir)) {
    if (other !== name && (other.endsWith('.node') || other.endsWith('.tmp')))
      await rm(path.join(dir, other), { force: true });
  }
  return file;
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
