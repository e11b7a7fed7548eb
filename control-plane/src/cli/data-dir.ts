import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Option } from 'commander';
import { ensurePrivateDir, ValidationError } from '@tether/shared';
import { AuditLog } from '../audit/audit-log.js';
import { openDatabase } from '../db/open-database.js';

/** Where the data dir is when neither `--data-dir` nor `TETHER_DATA_DIR` (nor a config file's `dataDir`) says. */
export const DEFAULT_DATA_DIR = './data';
/** The environment variable every data-dir command reads. */
export const DATA_DIR_ENV = 'TETHER_DATA_DIR';

/** `--data-dir <dir>` of the commands that work on the data dir: `TETHER_DATA_DIR`, else `./data`. */
export function dataDirOption(): Option {
  return new Option('--data-dir <dir>', 'the control plane data directory')
    .env(DATA_DIR_ENV)
    .default(DEFAULT_DATA_DIR);
}

/** The flags every data-dir command has. */
export interface DataDirFlags {
  dataDir: string;
}

/** Whether a command may create a data dir that is not there yet (commands that add things) or needs one. */
export type DataDirUse = 'create' | 'existing';

function checkDataDir(dataDir: string, use: DataDirUse): void {
  if (use === 'create') return ensurePrivateDir(dataDir);
  const hint = `pass --data-dir DIR or set ${DATA_DIR_ENV} (the directory tether-cp serve uses; default ${DEFAULT_DATA_DIR})`;
  if (!existsSync(dataDir)) throw new ValidationError(`no data dir at ${dataDir}: ${hint}`);
  if (!statSync(dataDir).isDirectory()) throw new ValidationError(`${dataDir} is not a directory: ${hint}`);
  if (!existsSync(join(dataDir, 'tether.db')))
    throw new ValidationError(`${dataDir} holds no tether.db yet: ${hint}`);
}

/**
 * Runs `fn` on the data dir's database, whether or not the server runs (SQLite WAL, busy timeout; a running server
 * sees the commit through `PRAGMA data_version`). `use` says whether a missing data dir is created or refused.
 */
export function withDatabase<T>(
  dataDir: string,
  use: DataDirUse,
  fn: (db: ReturnType<typeof openDatabase>, audit: AuditLog) => T,
): T {
  checkDataDir(dataDir, use);
  const db = openDatabase(join(dataDir, 'tether.db'));
  const audit = new AuditLog({ db, clock: { now: Date.now, setTimeout: () => 0, clearTimeout: () => {} } });
  try {
    return fn(db, audit);
  } finally {
    audit.flush();
    db.close();
  }
}
