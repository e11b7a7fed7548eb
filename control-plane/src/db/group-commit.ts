import type BetterSqlite3 from 'better-sqlite3';
import type { CommitWatch } from './commit-watch.js';
import type { ErrorLog } from './error-log.js';
import { FlushWindow } from './flush-window.js';

/** How a group commit reports: failures, and how long each commit held the event loop. */
export interface GroupCommitDeps {
  db: BetterSqlite3.Database;
  logger: ErrorLog;
  /** Called with the duration (ms) and size of every commit. */
  committed?(ms: number, items: number): void;
  /** How long the first queued piece of work waits for others to join it (default 5 ms). */
  windowMs?: number;
  /** Queued pieces of work that start the commit at once, and the most one commit takes (default 1,000). */
  maxItems?: number;
  /**
   * How long one commit goes on taking queued work (default 15 ms): what is left waits for the next commit, on the
   * next turn of the event loop, so a backlog (a reconnect storm) never holds the loop for longer than a slice
   * and its reactions, and the API answers in between.
   */
  sliceMs?: number;
  /**
   * False: commits are not fsynced (synchronous=NORMAL for them: they survive a crash of this process, kill -9
   * included, not a crash of the machine), for state whose owners send it again (route sync). Default true.
   */
  durable?: boolean;
  /** Told when each commit begins and how it ends, and of each piece of work rolled back alone (write-through caches). */
  watch?: CommitWatch;
}

interface Queued {
  work: () => unknown;
  after: ((result: unknown) => void) | undefined;
}

/**
 * Many small writes in one SQLite transaction (one fsync with synchronous=FULL), in the order they were queued:
 * what arrives within `windowMs` (or until `maxItems` are queued) is committed together. Each piece of work runs
 * in its own savepoint, so one that throws is logged and rolled back alone; its `after` does not run. The others'
 * `after`s run once everything committed (never inside the transaction): that is where events are emitted and
 * agents answered. When the commit itself fails nothing is kept and no `after` runs. Work must read what it
 * depends on itself: it runs later than it was queued, after the work queued before it. A backlog is committed in
 * slices (at most `maxItems` pieces or `sliceMs` of work each), one per turn of the event loop, in order.
 */
export class GroupCommit {
  readonly #d: GroupCommitDeps;
  #queue: Queued[] = [];
  readonly #window: FlushWindow;
  /** The connection's own `synchronous` setting, restored after each commit that is not durable. */
  readonly #synchronous: number;
  /**
   * The commit and each piece of work's savepoint, made once: better-sqlite3 builds four wrappers per
   * `db.transaction()` (~20 us), which a storm would otherwise pay three times per agent.
   */
  readonly #slice: BetterSqlite3.Transaction<(take: () => void) => void>;
  readonly #savepoint: BetterSqlite3.Transaction<(work: () => unknown) => unknown>;

  constructor(deps: GroupCommitDeps) {
    this.#d = deps;
    this.#slice = deps.db.transaction((take: () => void) => take());
    this.#savepoint = deps.db.transaction((work: () => unknown) => work());
    this.#window = new FlushWindow(() => this.#commitSlice(), deps.windowMs ?? 5);
    this.#synchronous = deps.db.pragma('synchronous', { simple: true }) as number;
  }

  /** Pieces of work waiting for the next commit. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Queues `work` for the next commit; `after` gets its result once that committed. */
  enqueue<T>(work: () => T, after?: (result: T) => void): void {
    this.#queue.push({ work, after: after as ((result: unknown) => void) | undefined });
    this.#window.queued(this.#queue.length >= (this.#d.maxItems ?? 1000));
  }

  /** Commits everything queued now (slice after slice), then runs the `after`s of the work that succeeded. */
  flush(): void {
    for (let slices = 0; this.#queue.length > 0 && slices < 1_000_000; slices++) this.#commitSlice();
  }

  /**
   * Commits the first slice of the queue, then runs the `after`s of its work that succeeded; what is left goes on
   * the next turn.
   */
  #commitSlice(): void {
    this.#window.flushing();
    const queue = this.#queue;
    if (queue.length === 0) return;
    const { db, logger } = this.#d;
    const maxItems = this.#d.maxItems ?? 1000;
    const sliceMs = this.#d.sliceMs ?? 15;
    const done: { after: (result: unknown) => void; result: unknown }[] = [];
    const started = performance.now();
    const durable = this.#d.durable ?? true;
    const { watch } = this.#d;
    let taken = 0;
    try {
      if (!durable) db.pragma('synchronous = NORMAL');
      this.#slice.immediate(() => {
        watch?.began();
        for (; taken < queue.length && taken < maxItems; taken++) {
          if (taken > 0 && performance.now() - started >= sliceMs) break;
          const { work, after } = queue[taken]!;
          try {
            const result = this.#savepoint(work);
            if (after) done.push({ after, result });
          } catch (err) {
            watch?.rolledBack();
            logger.error({ err }, 'queued write failed and was rolled back alone');
          }
        }
      });
      watch?.ended('committed');
    } catch (err) {
      watch?.ended('rolled-back');
      logger.error({ err, items: queue.length }, 'group commit failed: nothing of it was kept');
      done.length = 0;
      taken = queue.length;
    } finally {
      if (!durable) db.pragma(`synchronous = ${this.#synchronous}`);
      this.#queue = queue.slice(taken);
      if (this.#queue.length > 0) this.#window.queued(true);
      this.#d.committed?.(performance.now() - started, taken);
    }
    for (const { after, result } of done) {
      try {
        after(result);
      } catch (err) {
        logger.error({ err }, 'reacting to a committed write failed');
      }
    }
  }
}
