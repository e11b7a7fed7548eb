import type BetterSqlite3 from 'better-sqlite3';
import type { Logger } from '../observability/logger.js';
import { REPLICATED_TABLES, type ReplicatedTable } from './replicated-tables.js';
import { markChanged } from '../db/read-cache.js';

/** One change: a row image (upsert) or a deleted key. */
export interface Change {
  table: string;
  key: string;
  row?: Record<string, unknown>;
}

/** One stream entry as Redis returns it: its id and its flat field list (`t`, `k`, `r`). */
export type StreamEntry = [id: string, fields: string[]];

/** A change not yet appended to the stream (the local outbox). */
export interface OutboxRow {
  id: number;
  tbl: string;
  key: string;
  row: string | null;
}

/** The change a stream entry carries, or undefined for a malformed entry (skipped). */
export function decodeChange(fields: readonly string[]): Change | undefined {
  const get = (name: string): string | undefined => {
    const i = fields.indexOf(name);
    return i >= 0 && i % 2 === 0 ? fields[i + 1] : undefined;
  };
  const table = get('t');
  const key = get('k');
  const row = get('r');
  if (!table || key === undefined || row === undefined) return undefined;
  try {
    if (row === '') return { table, key };
    const parsed = JSON.parse(row) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    return { table, key, row: parsed as Record<string, unknown> };
  } catch {
    return undefined;
  }
}

const json = (t: ReplicatedTable, ref: 'NEW' | 'OLD'): string =>
  `json_object(${t.columns.map((c) => `'${c}', ${ref}.${c}`).join(', ')})`;

/**
 * Installs the TEMP triggers (on this connection only) that copy each change of a replicated table into
 * `cluster_outbox`, muted while `temp.cluster_applying` is 1 (a change from the log being applied).
 */
export function installChangeTriggers(db: BetterSqlite3.Database): void {
  db.exec('CREATE TEMP TABLE IF NOT EXISTS cluster_applying (on_ INTEGER NOT NULL)');
  db.exec('DELETE FROM temp.cluster_applying; INSERT INTO temp.cluster_applying VALUES (0)');
  const muted = 'WHEN (SELECT on_ FROM temp.cluster_applying) = 0';
  for (const t of REPLICATED_TABLES) {
    const updateOf = t.updateOf ? ` OF ${t.updateOf.join(', ')}` : '';
    db.exec(`
      CREATE TEMP TRIGGER IF NOT EXISTS repl_${t.name}_insert AFTER INSERT ON main.${t.name} ${muted}
      BEGIN INSERT INTO cluster_outbox (tbl, key, row) VALUES ('${t.name}', NEW.${t.key}, ${json(t, 'NEW')}); END;
      CREATE TEMP TRIGGER IF NOT EXISTS repl_${t.name}_update AFTER UPDATE${updateOf} ON main.${t.name} ${muted}
      BEGIN INSERT INTO cluster_outbox (tbl, key, row) VALUES ('${t.name}', NEW.${t.key}, ${json(t, 'NEW')}); END;
      CREATE TEMP TRIGGER IF NOT EXISTS repl_${t.name}_delete AFTER DELETE ON main.${t.name} ${muted}
      BEGIN INSERT INTO cluster_outbox (tbl, key, row) VALUES ('${t.name}', OLD.${t.key}, NULL); END;
    `);
  }
}

/**
 * The SQLite side of the change log: TEMP triggers (only a cluster member has them) copy each change of a
 * replicated table into `cluster_outbox` in the writer's transaction; `apply` replays stream entries, in order,
 * with the triggers muted, and remembers the last applied id. Applying the same entries again changes nothing.
 */
export class ChangeApplier {
  readonly #db: BetterSqlite3.Database;
  readonly #logger: Logger;
  readonly #stmts;

  constructor(db: BetterSqlite3.Database, logger: Logger) {
    this.#db = db;
    this.#logger = logger;
    installChangeTriggers(db);
    const upserts = new Map(
      REPLICATED_TABLES.map((t) => [
        t.name,
        {
          upsert: db.prepare(
            `INSERT INTO ${t.name} (${t.columns.join(', ')}) VALUES (${t.columns.map((c) => `@${c}`).join(', ')})
             ON CONFLICT (${t.key}) DO UPDATE SET ${t.columns
               .filter((c) => c !== t.key)
               .map((c) => `${c} = excluded.${c}`)
               .join(', ')}`,
          ),
          remove: db.prepare(`DELETE FROM ${t.name} WHERE ${t.key} = ?`),
          table: t,
        },
      ]),
    );
    this.#stmts = {
      upserts,
      mute: db.prepare<[number]>('UPDATE temp.cluster_applying SET on_ = ?'),
      outbox: db.prepare<[], OutboxRow>('SELECT id, tbl, key, row FROM cluster_outbox ORDER BY id LIMIT 256'),
      drained: db.prepare<[number]>('DELETE FROM cluster_outbox WHERE id <= ?'),
      cursor: db.prepare<[], { value: string }>(
        "SELECT value FROM cluster_state WHERE key = 'change_cursor'",
      ),
      setCursor: db.prepare<[string]>(
        "INSERT INTO cluster_state (key, value) VALUES ('change_cursor', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      ),
    };
  }

  /** The id of the last stream entry applied here ('0': none yet). */
  get cursor(): string {
    return this.#stmts.cursor.get()?.value ?? '0';
  }

  /** Up to 256 local changes waiting to be appended, oldest first. */
  pending(): OutboxRow[] {
    return this.#stmts.outbox.all();
  }

  /** Forgets the local changes up to `id` (they are in the stream). */
  drained(id: number): void {
    this.#stmts.drained.run(id);
  }

  /** Applies stream entries in one transaction with the triggers muted; returns the changes applied. */
  apply(entries: readonly StreamEntry[]): Change[] {
    const changes: Change[] = [];
    const last = entries.at(-1);
    if (!last) return changes;
    this.#db
      .transaction(() => {
        this.#stmts.mute.run(1);
        try {
          for (const [, fields] of entries) {
            const change = decodeChange(fields);
            if (change && this.#applyOne(change)) changes.push(change);
          }
          this.#stmts.setCursor.run(last[0]);
        } finally {
          this.#stmts.mute.run(0);
        }
      })
      .immediate();
    markChanged(this.#db); // the token and policy caches (ReadCache, OwnedCache) see these rows in this very turn
    return changes;
  }

  #applyOne(change: Change): boolean {
    const stmts = this.#stmts.upserts.get(change.table);
    if (!stmts) return false;
    try {
      if (!change.row) stmts.remove.run(change.key);
      else {
        const row = Object.fromEntries(stmts.table.columns.map((c) => [c, change.row?.[c] ?? null]));
        stmts.upsert.run(row);
      }
      return true;
    } catch (err) {
      // e.g. a token name taken here by another id: logged, skipped, the log goes on.
      this.#logger.warn({ err: (err as Error).message, table: change.table }, 'replicated change skipped');
      return false;
    }
  }
}
