import { chmodSync, closeSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../observability/logger.js';
import { createApiToken, type TokenDeps } from './api-tokens.js';

/** The file (in the data dir, mode 0600) that holds the first admin token. */
export const BOOTSTRAP_TOKEN_FILE = 'admin-token';

/**
 * On a data dir without any API token: creates an admin token named `bootstrap-admin` and writes it to
 * `DATA_DIR/admin-token` (mode 0600, written whole then renamed into place). Logs only the path. Returns the
 * path when it wrote one.
 */
export function ensureBootstrapToken(
  dataDir: string,
  deps: TokenDeps,
  now: number,
  logger: Logger,
): string | undefined {
  if (deps.tokens.count() > 0) return undefined;
  const created = createApiToken(deps, { role: 'admin', name: 'bootstrap-admin' }, 'bootstrap', now);
  const path = join(dataDir, BOOTSTRAP_TOKEN_FILE);
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, `${created.token}\n`);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
  logger.info({ path }, 'created the first admin API token; read it from this file (mode 0600)');
  return path;
}
