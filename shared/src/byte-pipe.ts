/** What one end of a byte pipe tells whoever attached to it. */
export interface PipeSink {
  /** Bytes arrived (never while paused). */
  data(chunk: Uint8Array): void;
  /** The other side will send no more bytes (half-close); writing on is still allowed. */
  end(): void;
  /** `write` returned false earlier and there is room again. */
  drain(): void;
  /** The pipe is over: both ways done (no error), or cut (`error`: reset, failed, link lost). Called once. */
  close(error?: Error): void;
}

/**
 * One end of a byte stream that can be spliced to another: a socket (`socketPipe`) or a tunnel stream. The same
 * contract as a node socket with `allowHalfOpen`: `write` says when to stop, `drain` when to go on, `end` closes
 * one direction, `reset` both at once.
 */
export interface BytePipe {
  /** Sends bytes; false when they were queued beyond the pipe's room: pause the source until `drain`. */
  write(chunk: Uint8Array): boolean;
  /** Sends no more bytes (half-close), after what was written. */
  end(): void;
  /** Stops delivering `data` (what arrives is held, within the pipe's own bound). */
  pause(): void;
  /** Delivers again. */
  resume(): void;
  /** Cuts both directions at once (a socket: TCP RST; a stream: RESET). Idempotent. */
  reset(error: Error): void;
  /** Starts delivering to `sink` (once). */
  attach(sink: PipeSink): void;
}

/**
 * Joins two pipes both ways with backpressure: what one delivers the other writes, and a full writer pauses its
 * source until it drains; an end is passed on as an end (half-close); a cut on either side cuts the other. `done`
 * is told once, when both are over (with the first error, if any).
 */
export function splice(a: BytePipe, b: BytePipe, done?: (error?: Error) => void): void {
  let open = 2;
  let failure: Error | undefined;
  const closed = (other: BytePipe, error?: Error): void => {
    if (error && !failure) {
      failure = error;
      other.reset(error);
    }
    if (--open === 0) done?.(failure);
  };
  const from = (source: BytePipe, target: BytePipe): PipeSink => ({
    data: (chunk) => {
      if (!target.write(chunk)) source.pause();
    },
    end: () => target.end(),
    drain: () => target.resume(),
    close: (error) => closed(target, error),
  });
  a.attach(from(a, b));
  b.attach(from(b, a));
}
