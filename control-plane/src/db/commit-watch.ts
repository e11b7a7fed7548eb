/** How a watched transaction ended: committed, or rolled back (all of it, or one piece of work's savepoint). */
export type CommitOutcome = 'committed' | 'rolled-back';

/**
 * The transactions one GroupCommit runs, as caches over the same connection see them: whether one is running now,
 * and how each ends. A cache may keep what it reads or writes inside a watched transaction as pending, then keep it
 * for good when told `committed`, or drop it when told `rolled-back` (which a piece of work's failed savepoint also
 * tells, so nothing it wrote outlives it). In a transaction nobody watches, a cache can only evict.
 */
export class CommitWatch {
  #active = false;
  readonly #listeners = new Set<(outcome: CommitOutcome) => void>();

  /** True while a watched transaction runs. */
  get active(): boolean {
    return this.#active;
  }

  /** Calls `listener` at the end of every watched transaction and after every rolled-back piece of work. */
  onEnd(listener: (outcome: CommitOutcome) => void): void {
    this.#listeners.add(listener);
  }

  /** A watched transaction began (its owner calls this inside it). */
  began(): void {
    this.#active = true;
  }

  /** A piece of work in the running transaction was rolled back alone; the transaction goes on. */
  rolledBack(): void {
    this.#tell('rolled-back');
  }

  /** The watched transaction committed or rolled back. */
  ended(outcome: CommitOutcome): void {
    this.#active = false;
    this.#tell(outcome);
  }

  #tell(outcome: CommitOutcome): void {
    for (const listener of this.#listeners) listener(outcome);
  }
}
