import type BetterSqlite3 from 'better-sqlite3';
import type { Clock } from '@tether/shared';
import type { ErrorLog } from './error-log.js';
import { markExternalChange } from './read-cache.js';

/** What watching the database for other connections' commits needs. */
export interface DataVersionWatchDeps {
  db: BetterSqlite3.Database;
  clock: Clock;
  logger: ErrorLog;
  /** How often `PRAGMA data_version` is read (default 250 ms). */
  intervalMs?: number;
}

/**
 * Notices commits made by other connections on the same SQLite file (the CLI, another process): one timer polls
 * `PRAGMA data_version` (it changes only when another connection commits, never for this one's writes) and, when
 * it moved, calls every listener once. A failing listener is logged and does not stop the others.
 */
export class DataVersionWatch {
  readonly #d: DataVersionWatchDeps;
  readonly #listeners: (() => void)[] = [];
  #version = -1;
  #timer: unknown;

  constructor(deps: DataVersionWatchDeps) {
    this.#d = deps;
  }

  /** Calls `listener` after each poll that saw another connection's commit. */
  onChange(listener: () => void): void {
    this.#listeners.push(listener);
  }

  /** Reads the current version (what later commits are compared with), then polls until `stop`. */
  start(): void {
    this.#version = this.#read();
    const tick = (): void => {
      this.#poll();
      this.#timer = this.#d.clock.setTimeout(tick, this.#d.intervalMs ?? 250);
    };
    this.#timer = this.#d.clock.setTimeout(tick, this.#d.intervalMs ?? 250);
  }

  /** Stops polling. */
  stop(): void {
    if (this.#timer !== undefined) this.#d.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #poll(): void {
    try {
      const version = this.#read();
      if (version === this.#version) return;
      this.#version = version;
      markExternalChange(this.#d.db); // the listeners' reads through the caches see this commit
    } catch (err) {
      this.#d.logger.error({ err }, 'data_version poll failed');
      return;
    }
    for (const listener of this.#listeners) {
      try {
        listener();
      } catch (err) {
        this.#d.logger.error({ err }, 'reacting to a commit by another connection failed');
      }
    }
  }

  #read(): number {
    return this.#d.db.pragma('data_version', { simple: true }) as number;
  }
}
