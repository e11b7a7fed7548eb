/** A sender's credit: how many more chunks it may send before the receiver grants more. */
export class CreditGate {
  #available: number;
  #closed = false;
  #waiter: (() => void) | undefined;

  constructor(window: number) {
    this.#available = window;
  }

  /** Credit left now. */
  get available(): number {
    return this.#available;
  }

  /** Waits for one unit of credit and takes it; false once the gate closed (stop sending). */
  async take(): Promise<boolean> {
    while (this.#available <= 0 && !this.#closed) {
      await new Promise<void>((resolve) => (this.#waiter = resolve));
    }
    if (this.#closed) return false;
    this.#available--;
    return true;
  }

  /** The receiver granted `n` more chunks. */
  add(n: number): void {
    this.#available += n;
    this.#wake();
  }

  /** Ends the gate: a waiting `take` returns false. */
  close(): void {
    this.#closed = true;
    this.#wake();
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.();
  }
}

/** Splits chunks larger than `max` bytes into slices of at most `max` (views, no copy). */
export function* sliceChunk(chunk: Uint8Array, max: number): Generator<Uint8Array> {
  if (chunk.byteLength <= max) {
    if (chunk.byteLength > 0) yield chunk;
    return;
  }
  for (let at = 0; at < chunk.byteLength; at += max)
    yield chunk.subarray(at, Math.min(at + max, chunk.byteLength));
}
