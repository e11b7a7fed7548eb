import type { WholeBody } from './early-body.js';

/** What an inbound body tells its owner. */
export interface InboundBodyHooks {
  /** The consumer took `n` chunks on: grant the sender credit for them. */
  grant(n: number): void;
  /** The consumer stopped early (break/return): the call should be abandoned. */
  abandon(): void;
}

/**
 * One direction's received body: chunks queue here until the consumer pulls them. Credit for a chunk is granted
 * when the consumer asks for the next one (it has written the previous one on), in batches of `batch`, or when the
 * queue ran dry while the sender has used half its window or more (so a short body costs no CREDIT frame). A slow
 * consumer holds the sender to the window.
 */
export class InboundBody implements WholeBody {
  readonly #hooks: InboundBodyHooks;
  readonly #batch: number;
  readonly #window: number;
  readonly #queue: Uint8Array[] = [];
  #ended = false;
  #error: Error | undefined;
  #waiter: { resolve: () => void } | undefined;
  #ungranted = 0;
  /** Chunks received minus chunks granted back: the sender's credit in use. */
  #outstanding = 0;
  #delivered = false;
  /** Chunks at the front of the queue that came inline and used no credit. */
  #inlineAhead = 0;
  #iterating = false;

  constructor(hooks: InboundBodyHooks, window = 16, batch = 4) {
    this.#hooks = hooks;
    this.#window = window;
    this.#batch = batch;
  }

  /** Chunks received and not yet pulled by the consumer. */
  get buffered(): number {
    return this.#queue.length;
  }

  /** True once END or an error arrived. */
  get finished(): boolean {
    return this.#ended || this.#error !== undefined;
  }

  /** A chunk arrived: from a DATA frame (`counted`: it used a unit of credit), or inline in the call's head. */
  push(chunk: Uint8Array, counted = true): void {
    if (this.finished) return;
    this.#queue.push(chunk);
    if (counted) this.#outstanding++;
    else if (this.#queue.length === this.#inlineAhead + 1) this.#inlineAhead++;
    this.#wake();
  }

  /** END arrived. */
  end(): void {
    if (this.finished) return;
    this.#ended = true;
    this.#wake();
  }

  /** Every chunk at once when the body has ended (no error) within `max` bytes and nobody read it yet. */
  takeWhole(max: number): Uint8Array[] | undefined {
    if (!this.#ended || this.#error || this.#iterating) return undefined;
    if (this.#queue.reduce((n, c) => n + c.byteLength, 0) > max) return undefined;
    this.#iterating = true;
    return this.#queue.splice(0);
  }

  /** The call failed: the consumer's next pull throws `error` (queued chunks are dropped). */
  fail(error: Error): void {
    if (this.finished) return;
    this.#error = error;
    this.#queue.length = 0;
    this.#inlineAhead = 0;
    this.#wake();
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.resolve();
  }

  async *#iterate(): AsyncGenerator<Uint8Array> {
    let completed = false;
    try {
      for (;;) {
        if (this.#delivered) {
          this.#delivered = false;
          this.#ungranted++;
        }
        if (this.#error) throw this.#error;
        const dry = this.#queue.length === 0 && this.#outstanding * 2 >= this.#window;
        if (this.#ungranted > 0 && (this.#ungranted >= this.#batch || dry) && !this.#ended) {
          this.#hooks.grant(this.#ungranted);
          this.#outstanding -= this.#ungranted;
          this.#ungranted = 0;
        }
        const chunk = this.#queue.shift();
        if (chunk) {
          if (this.#inlineAhead > 0) this.#inlineAhead--;
          else this.#delivered = true;
          yield chunk;
          continue;
        }
        if (this.#ended) {
          completed = true;
          return;
        }
        await new Promise<void>((resolve) => (this.#waiter = { resolve }));
      }
    } finally {
      if (!completed && !this.#error) this.#hooks.abandon();
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.#iterating) throw new Error('a tunnel body can be read only once');
    this.#iterating = true;
    return this.#iterate();
  }
}
