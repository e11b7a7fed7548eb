import type BetterSqlite3 from 'better-sqlite3';
import type { Migration } from './migrations/migration.js';
import { ERA_1_CORE } from './migrations/era-1-core.js';
import { ERA_2_CLUSTER } from './migrations/era-2-cluster.js';
import { ERA_3_SCALE } from './migrations/era-3-scale.js';

type Database = BetterSqlite3.Database;

/** One schema step (defined in migrations/migration.ts). */
export type { Migration };

/**
 * Every migration, oldest first, grouped by era in `migrations/`. Append only: never edit a released step; a new
 * one goes at the end (a new era file when the last one has grown long).
 */
export const MIGRATIONS: readonly Migration[] = [...ERA_1_CORE, ...ERA_2_CLUSTER, ...ERA_3_SCALE];

/** Applies the migrations newer than the database's `user_version`, each in its own transaction. */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
  return db.pragma('user_version', { simple: true }) as number;
}
