import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The file name of better-sqlite3's native addon, as the bundle script copies it beside the bundle. */
export const SQLITE_ADDON = 'better_sqlite3.node';

/**
 * Where better-sqlite3's native addon is: `TETHER_SQLITE_ADDON` if set, else `better_sqlite3.node` beside this
 * module (the single-file bundle ships it there), else undefined (better-sqlite3 finds its own in node_modules).
 */
export function sqliteNativeBinding(
  env: Record<string, string | undefined> = process.env,
): string | undefined {
  const fromEnv = env.TETHER_SQLITE_ADDON;
  if (fromEnv) return fromEnv;
  const beside = path.join(path.dirname(fileURLToPath(import.meta.url)), SQLITE_ADDON);
  return existsSync(beside) ? beside : undefined;
}
