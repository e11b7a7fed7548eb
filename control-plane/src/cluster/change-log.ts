import type BetterSqlite3 from 'better-sqlite3';
import type { Redis } from 'ioredis';
import type { Clock } from '@tether/shared';
import type { Logger } from '../observability/logger.js';
import { ChangeApplier, type Change, type StreamEntry } from './change-applier.js';

export type { Change } from './change-applier.js';

/** The Redis stream every replica appends its changes to and replays in order. */
export const CHANGE_STREAM = 'tether:changes';
/** Hash `<table>\n<key>` → the stream id of that row's latest entry (what compaction keeps). */
export const CHANGE_LATEST = 'tether:changes:latest';
/** Set once every entry of the stream has its latest mark (see COMPACT_LUA). */
const CHANGE_INDEXED = 'tether:changes:indexed';

/** Appends one change and marks it as its row's latest entry, atomically. */
const APPEND_LUA = `
local id = redis.call('XADD', KEYS[1], '*', 't', ARGV[1], 'k', ARGV[2], 'r', ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1] .. '\\n' .. ARGV[2], id)
return id`;

/**
 * Compacts the oldest `ARGV[2]` entries when the stream holds more than twice its live rows plus `ARGV[1]`: an
 * entry that is its row's latest is appended again at the end (new id), every other one (superseded) is dropped,
 * then the old entries are deleted. Atomic, so no append can slip between the check and the move. The stream
 * stays a complete log: replaying it from any position, or from the start, ends at the same rows. The first
 * compaction on a stream (marker `KEYS[3]` absent) first marks the latest entry of every row, so entries appended
 * before the marks existed are never taken for superseded.
 */
const COMPACT_LUA = `
if redis.call('SET', KEYS[3], '1', 'NX') then
  for _, e in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do
    local f, t, k = e[2]
    for i = 1, #f, 2 do
      if f[i] == 't' then t = f[i + 1] elseif f[i] == 'k' then k = f[i + 1] end
    end
    if t and k then redis.call('HSET', KEYS[2], t .. '\\n' .. k, e[1]) end
  end
end
local live = redis.call('HLEN', KEYS[2])
if redis.call('XLEN', KEYS[1]) <= 2 * live + tonumber(ARGV[1]) then return 0 end
local old = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', ARGV[2])
for _, e in ipairs(old) do
  local id, f = e[1], e[2]
  local t, k, r
  for i = 1, #f, 2 do
    if f[i] == 't' then t = f[i + 1] elseif f[i] == 'k' then k = f[i + 1] elseif f[i] == 'r' then r = f[i + 1] end
  end
  if t and k and r then
    local hk = t .. '\\n' .. k
    if redis.call('HGET', KEYS[2], hk) == id then
      redis.call('HSET', KEYS[2], hk, redis.call('XADD', KEYS[1], '*', 't', t, 'k', k, 'r', r))
    end
  end
  redis.call('XDEL', KEYS[1], id)
end
return #old`;

/** How the stream is kept short (docs/cluster.md, "The change log"). */
export interface CompactionOptions {
  /** Compact when the stream holds more than 2 × live rows + this many entries (default 10,000). */
  slack: number;
  /** Oldest entries examined per compaction (default 5,000; bounds how long Redis is busy). */
  batch: number;
  /** How often each replica tries (default 60 s). */
  everyMs: number;
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
  compaction?: Partial<CompactionOptions>;
}

/**
 * The replicated change log: the applier's triggers collect local changes in the outbox; a pump appends them to a
 * Redis stream; a reader replays the stream, in order, into this replica's SQLite (the writer's own changes too,
 * so every replica converges on the stream's order); every replica now and then compacts the stream's head.
 */
export class ChangeLog {
  readonly #d: ChangeLogDeps;
  readonly #applier: ChangeApplier;
  readonly #compaction: CompactionOptions;
  #pumpTimer: unknown;
  #compactTimer: unknown;
  #stopped = false;
  #reading: Promise<void> | undefined;

  constructor(deps: ChangeLogDeps) {
    this.#d = deps;
    this.#applier = new ChangeApplier(deps.db, deps.logger);
    this.#compaction = { slack: 10_000, batch: 5_000, everyMs: 60_000, ...deps.compaction };
  }

  /** Starts the pump, the reader and compaction. */
  start(): void {
    const interval = this.#d.pumpIntervalMs ?? 20;
    const tick = (): void => {
      void this.#pump().finally(() => {
        if (!this.#stopped) this.#pumpTimer = this.#d.clock.setTimeout(tick, interval);
      });
    };
    tick();
    const compact = (): void => {
      void this.compact().finally(() => {
        if (!this.#stopped) this.#compactTimer = this.#d.clock.setTimeout(compact, this.#compaction.everyMs);
      });
    };
    this.#compactTimer = this.#d.clock.setTimeout(compact, this.#compaction.everyMs);
    this.#reading = this.#readLoop();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#pumpTimer !== undefined) this.#d.clock.clearTimeout(this.#pumpTimer);
    if (this.#compactTimer !== undefined) this.#d.clock.clearTimeout(this.#compactTimer);
    await this.#pump();
    await this.#reading?.catch(() => undefined);
  }

  /** One compaction step (see COMPACT_LUA); returns how many old entries it examined (0: nothing to do). */
  async compact(): Promise<number> {
    if (this.#d.commands.status !== 'ready') return 0;
    try {
      const { slack, batch } = this.#compaction;
      const n = Number(
        await this.#d.commands.eval(
          COMPACT_LUA,
          3,
          CHANGE_STREAM,
          CHANGE_LATEST,
          CHANGE_INDEXED,
          slack,
          batch,
        ),
      );
      if (n > 0) this.#d.logger.info({ entries: n }, 'change log compacted');
      return n;
    } catch (err) {
      this.#d.logger.warn({ err: (err as Error).message }, 'change log compaction failed');
      return 0;
    }
  }

  /** Appends the outbox to the stream, then forgets what was appended. A Redis outage leaves it waiting. */
  async #pump(): Promise<void> {
    const rows = this.#applier.pending();
    const last = rows.at(-1);
    if (!last || this.#d.commands.status !== 'ready') return;
    try {
      const pipeline = this.#d.commands.pipeline();
      for (const r of rows)
        pipeline.eval(APPEND_LUA, 2, CHANGE_STREAM, CHANGE_LATEST, r.tbl, r.key, r.row ?? '');
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([err]) => err);
      if (failed?.[0]) throw failed[0];
      this.#applier.drained(last.id);
    } catch (err) {
      this.#d.logger.warn({ err: (err as Error).message }, 'change log append failed; will retry');
    }
  }

  async #readLoop(): Promise<void> {
    let cursor = this.#applier.cursor;
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
        const entries: StreamEntry[] = reply?.[0]?.[1] ?? [];
        const last = entries.at(-1);
        if (!last || this.#stopped) continue;
        this.#notify(this.#applier.apply(entries));
        cursor = last[0];
      } catch (err) {
        if (this.#stopped) return;
        this.#d.logger.debug({ err: (err as Error).message }, 'change log read failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  #notify(changes: Change[]): void {
    for (const change of changes) {
      try {
        this.#d.onApplied?.(change);
      } catch (err) {
        this.#d.logger.error({ err, table: change.table }, 'applying a change failed');
      }
    }
  }
}
