import type BetterSqlite3 from 'better-sqlite3';
import type { Redis } from 'ioredis';
import type { Clock } from '@tether/shared';
import type { Logger } from '../logger.js';
import { REPLICATED_TABLES, type ReplicatedTable } from './replicated-tables.js';

/** The Redis stream every replica appends its changes to and replays in order. */
export const CHANGE_STREAM = 'tether:changes';

/** One change: a row image (upsert) or a deleted key. */
export interface Change {
  table: string;
  key: string;
  row?: Record<string, unknown>;
}

/** What the change log needs. */
export interface ChangeLogDeps {
  db: BetterSqlite3.Database;
  commands: Redis;
  blocking: Redis;
  clock: Clock;
  logger: Logger;
  /** A change from the log was applied to this replica's SQLite (caches, revocation enforcement). */
  onApplied?(change: Change): void;
  pumpIntervalMs?: number;
}

interface OutboxRow {
  id: number;
  tbl: string;
  key: string;
  row: string | null;
}

const json = (t: ReplicatedTable, ref: 'NEW' | 'OLD'): string =>
  `json_object(${t.columns.map((c) => `'${c}', ${ref}.${c}`).join(', ')})`;

/**
 * The replicated change log: triggers (TEMP, so only a cluster member has them) copy each change of a replicated
 * table into the `cluster_outbox` table in the writer's transaction; a pump appends them to a Redis stream; a
 * reader replays the stream, in order, into this replica's SQLite (the writer's own changes too, so every
 * replica converges on the stream's order). Triggers are muted while applying.
 */
export class ChangeLog {
  readonly #d: ChangeLogDeps;
  readonly #stmts;
  #pumpTimer: unknown;
  #stopped = false;
  #reading: Promise<void> | undefined;

  constructor(deps: ChangeLogDeps) {
    this.#d = deps;
    const { db } = deps;
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

  /** Starts the pump and the reader. */
  start(): void {
    const interval = this.#d.pumpIntervalMs ?? 20;
    const tick = (): void => {
      void this.#pump().finally(() => {
        if (!this.#stopped) this.#pumpTimer = this.#d.clock.setTimeout(tick, interval);
      });
    };
    tick();
    this.#reading = this.#readLoop();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#pumpTimer !== undefined) this.#d.clock.clearTimeout(this.#pumpTimer);
    await this.#pump();
    await this.#reading?.catch(() => undefined);
  }

  /** Appends the outbox to the stream, then forgets what was appended. A Redis outage leaves it waiting. */
  async #pump(): Promise<void> {
    const rows = this.#stmts.outbox.all();
    const last = rows.at(-1);
    if (!last || this.#d.commands.status !== 'ready') return;
    try {
      const pipeline = this.#d.commands.pipeline();
      for (const r of rows) pipeline.xadd(CHANGE_STREAM, '*', 't', r.tbl, 'k', r.key, 'r', r.row ?? '');
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([err]) => err);
      if (failed?.[0]) throw failed[0];
      this.#stmts.drained.run(last.id);
    } catch (err) {
      this.#d.logger.warn({ err: (err as Error).message }, 'change log append failed; will retry');
    }
  }

  async #readLoop(): Promise<void> {
    let cursor = this.#stmts.cursor.get()?.value ?? '0';
    while (!this.#stopped) {
      try {
        const reply = await this.#d.blocking.xread(
          'COUNT',
          256,
          'BLOCK',
          500,
          'STREAMS',
          CHANGE_STREAM,
          cursor,
        );
        const entries = reply?.[0]?.[1] ?? [];
        if (entries.length === 0 || this.#stopped) continue;
        cursor = this.#apply(entries);
      } catch (err) {
        if (this.#stopped) return;
        this.#d.logger.debug({ err: (err as Error).message }, 'change log read failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  /** Applies stream entries in one transaction with the triggers muted; returns the new cursor. */
  #apply(entries: [string, string[]][]): string {
    const changes: Change[] = [];
    let cursor = '';
    this.#d.db
      .transaction(() => {
        this.#stmts.mute.run(1);
        try {
          for (const [id, fields] of entries) {
            cursor = id;
            const change = this.#decode(fields);
            if (change && this.#applyOne(change)) changes.push(change);
          }
          this.#stmts.setCursor.run(cursor);
        } finally {
          this.#stmts.mute.run(0);
        }
      })
      .immediate();
    for (const change of changes) {
      try {
        this.#d.onApplied?.(change);
      } catch (err) {
        this.#d.logger.error({ err, table: change.table }, 'applying a change failed');
      }
    }
    return cursor;
  }

  #decode(fields: string[]): Change | undefined {
    const get = (name: string): string | undefined => fields[fields.indexOf(name) + 1];
    const table = get('t');
    const key = get('k');
    const row = get('r');
    if (!table || key === undefined || row === undefined) return undefined;
    try {
      return row === '' ? { table, key } : { table, key, row: JSON.parse(row) as Record<string, unknown> };
    } catch {
      return undefined;
    }
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
      this.#d.logger.warn({ err: (err as Error).message, table: change.table }, 'replicated change skipped');
      return false;
    }
  }
}
