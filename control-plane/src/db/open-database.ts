import { closeSync, chmodSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';

type Database = BetterSqlite3.Database;
import { migrate } from './migrations.js';
import { countWrites } from './write-count.js';

/**
 * Opens (creating if needed, mode 0600) the control plane's SQLite file, switches it to WAL with
 * synchronous=FULL (WAL alone does not fsync before a commit returns), keeps temporary files (savepoint journals)
 * in memory, counts the writes through it (countWrites), and runs the migrations.
 */
export function openDatabase(path: string): Database {
  if (path !== ':memory:') {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    closeSync(openSync(path, 'a', 0o600));
    chmodSync(path, 0o600);
  }
  const db = new BetterSqlite3(path);
  countWrites(db); // before any statement: what the read caches check (see write-count.ts)
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    // Savepoints (one per queued write in a group commit) journal each page they change: in memory, not in a temp
    // file (a pwrite per page: ~45 per connecting agent, most of the commit stage's system time).
    db.pragma('temp_store = MEMORY');
    db.pragma('foreign_keys = ON');
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}
