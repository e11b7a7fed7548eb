import { nextTurn, type NextTurn } from './tunnel/early-body.js';

/**
 * Bookkeeping that may wait for the end of the event-loop turn: run then, in the order it was added, in one go. A
 * call's metrics (prom-client counters and histograms by label: ~5-7 us a call in each process, measured with perf)
 * were on the way of every answer; measured before (durations, in-memory totals), they are recorded after it left.
 * A task that throws is reported to `onError` and does not stop the others.
 */
export class TurnEndWork {
  readonly #turn: NextTurn;
  readonly #onError: (err: unknown) => void;
  #tasks: Array<() => void> = [];

  constructor(turn: NextTurn = nextTurn, onError: (err: unknown) => void = () => undefined) {
    this.#turn = turn;
    this.#onError = onError;
  }

  /** Runs `task` at the end of this turn, after the tasks added before it. */
  add(task: () => void): void {
    this.#tasks.push(task);
    if (this.#tasks.length === 1) void this.#turn().then(() => this.#run());
  }

  #run(): void {
    const tasks = this.#tasks;
    this.#tasks = [];
    for (const task of tasks) {
      try {
        task();
      } catch (err) {
        this.#onError(err);
      }
    }
  }
}
