/** A writable that says when its buffer drained or it closed (a socket, a TLS or WebSocket stream). */
export interface Drainable {
  on(event: 'drain' | 'close', listener: () => void): unknown;
  off(event: 'drain' | 'close', listener: () => void): unknown;
}

/** Waits for full streams to drain: one wait per stream, shared by every write queued behind it. */
export class DrainWaits<S extends Drainable & object> {
  readonly #waits = new WeakMap<S, Promise<void>>();

  /**
   * Resolves when `stream` drains or closes, or when `also` calls back (e.g. aedes dropping a client that did not
   * drain in time): a dead stream is no error here, its owner's own handlers report it.
   */
  wait(stream: S, also?: (done: () => void) => void): Promise<void> {
    const waiting = this.#waits.get(stream);
    if (waiting) return waiting;
    const drained = new Promise<void>((resolve) => {
      let settled = false;
      const done = (): void => {
        if (settled) return;
        settled = true;
        stream.off('drain', done);
        stream.off('close', done);
        this.#waits.delete(stream);
        resolve();
      };
      stream.on('drain', done);
      stream.on('close', done);
      also?.(done);
    });
    this.#waits.set(stream, drained);
    return drained;
  }
}
