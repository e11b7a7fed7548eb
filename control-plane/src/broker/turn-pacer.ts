/**
 * Hands items on at most `perTurn` an event-loop turn, in arrival order. A reconnect storm lands hundreds of
 * sockets in one poll phase (libuv accepts the whole backlog at once) and each costs a CONNECT parse and an
 * authentication; paced, the API's requests are served between the batches instead of behind all of them.
 */
export class TurnPacer<T> {
  readonly #handle: (item: T) => void;
  readonly #perTurn: number;
  #queue: T[] = [];
  #head = 0;
  #scheduled = false;

  constructor(handle: (item: T) => void, perTurn: number) {
    this.#handle = handle;
    this.#perTurn = perTurn;
  }

  /** Items waiting for their turn. */
  get size(): number {
    return this.#queue.length - this.#head;
  }

  /** Queues `item`; it is handed on in this turn's batch or a later one (never in this call). */
  push(item: T): void {
    this.#queue.push(item);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#drain());
    }
  }

  #drain(): void {
    this.#scheduled = false;
    const end = Math.min(this.#queue.length, this.#head + this.#perTurn);
    const batch = this.#queue.slice(this.#head, end);
    this.#head = end;
    if (this.#head === this.#queue.length) [this.#queue, this.#head] = [[], 0];
    else if (this.#head > 4096) [this.#queue, this.#head] = [this.#queue.slice(this.#head), 0];
    if (this.size > 0) {
      this.#scheduled = true;
      setImmediate(() => this.#drain());
    }
    for (const item of batch) this.#handle(item);
  }
}
