import { concatBytes } from './bytes.js';

/** Waits one event-loop turn; how long a body may take to show it is complete before it is streamed. */
export type NextTurn = () => Promise<void>;

/** The default turn: after the I/O callbacks of this loop iteration (`setImmediate`). */
export const nextTurn: NextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** What a body had ready within one turn: its first bytes, whether that was all, and the rest to stream. */
export interface EarlyBody {
  /** The bytes available at once (at most `max`), joined into one array on first use. */
  readonly head: Uint8Array;
  /**
   * The same bytes as the chunks they came in, not joined: a tunnel frame copies them once, straight into its
   * message (joining them first cost a second copy of a 64 KiB body per hop).
   */
  readonly parts: readonly Uint8Array[];
  /** True when `head` is the whole body. */
  ended: boolean;
  /** The remaining chunks (empty when ended); iterate it, or `cancel()` to release the source. */
  rest: AsyncIterable<Uint8Array>;
  /** Releases the source when the rest will never be read. */
  cancel(): Promise<void>;
}

const TURN: unique symbol = Symbol('turn');
const EMPTY = new Uint8Array(0);

const NO_REST: AsyncIterable<Uint8Array> = { [Symbol.asyncIterator]: async function* () {} };
const NOTHING_TO_CANCEL = (): Promise<void> => Promise.resolve();

/** An EarlyBody over `parts` (empty chunks dropped), joined only when someone reads `head`. */
class Early implements EarlyBody {
  readonly parts: readonly Uint8Array[];
  readonly ended: boolean;
  readonly rest: AsyncIterable<Uint8Array>;
  readonly #cancel: () => Promise<void>;
  #joined: Uint8Array | undefined;

  constructor(
    parts: readonly Uint8Array[],
    more?: { rest: AsyncIterable<Uint8Array>; cancel: () => Promise<void> },
  ) {
    let kept = parts;
    for (const p of parts)
      if (p.byteLength === 0) {
        kept = parts.filter((c) => c.byteLength > 0);
        break;
      }
    this.parts = kept;
    this.ended = more === undefined;
    this.rest = more?.rest ?? NO_REST;
    this.#cancel = more?.cancel ?? NOTHING_TO_CANCEL;
    this.#joined = kept.length === 0 ? EMPTY : kept.length === 1 ? kept[0] : undefined;
  }

  get head(): Uint8Array {
    return (this.#joined ??= concatBytes(this.parts));
  }

  cancel(): Promise<void> {
    return this.#cancel();
  }
}

/** A body that may already be whole in memory: `takeWhole(max)` hands its chunks over once, without iterating. */
export interface WholeBody extends AsyncIterable<Uint8Array> {
  /** The whole body when it has fully arrived and is at most `max` bytes (then it cannot be read again). */
  takeWhole(max: number): Uint8Array[] | undefined;
}

function takeWhole(body: AsyncIterable<Uint8Array>, max: number): Uint8Array[] | undefined {
  const whole = body as Partial<WholeBody>;
  return typeof whole.takeWhole === 'function' ? whole.takeWhole(max) : undefined;
}

/**
 * Chunks already in memory, readable once or taken whole. A class: an object literal with a computed-key method
 * names a new function on every body (V8's SetName), which showed in both processes' profiles once per call.
 */
class ChunksBody implements WholeBody {
  readonly #chunks: readonly Uint8Array[];
  readonly #size: number;
  #taken = false;

  constructor(chunks: readonly Uint8Array[]) {
    this.#chunks = chunks;
    let size = 0;
    for (const c of chunks) size += c.byteLength;
    this.#size = size;
  }

  takeWhole(max: number): Uint8Array[] | undefined {
    if (this.#taken || this.#size > max) return undefined;
    this.#taken = true;
    return [...this.#chunks];
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.#taken) return;
    this.#taken = true;
    yield* this.#chunks;
  }
}

/** A body of chunks already in memory (a buffered request): readable once, or taken whole. */
export function wholeBody(chunks: readonly Uint8Array[]): WholeBody {
  return new ChunksBody(chunks);
}

/**
 * The EarlyBody of a body that is whole in memory already (`takeWhole`, at most `max` bytes), at once: no promise,
 * no turn (every call has one or two, at each hop); undefined when it is not, and then collectEarly reads it.
 */
export function wholeEarly(body: AsyncIterable<Uint8Array>, max: number): EarlyBody | undefined {
  const whole = takeWhole(body, max);
  return whole ? new Early(whole) : undefined;
}

/**
 * Takes what `body` yields before the next turn, up to `max` bytes: a short body that is already there (a buffered
 * request, a small HTTP response read in one go) travels whole in one frame and one write; anything slower streams.
 */
export async function collectEarly(
  body: AsyncIterable<Uint8Array>,
  max: number,
  turn: NextTurn = nextTurn,
): Promise<EarlyBody> {
  const whole = wholeEarly(body, max);
  if (whole) return whole;
  const it = body[Symbol.asyncIterator]();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const tick = turn().then((): typeof TURN => TURN);
  let pending: Promise<IteratorResult<Uint8Array>> | undefined;
  let carry: Uint8Array | undefined;
  for (;;) {
    const next = it.next();
    const r = await Promise.race([next, tick]);
    if (r === TURN) {
      pending = next;
      next.catch(() => undefined); // read (and rethrown) by the rest, or dropped with it
      break;
    }
    if (r.done) return new Early(chunks);
    if (size + r.value.byteLength > max) {
      carry = r.value;
      break;
    }
    chunks.push(r.value);
    size += r.value.byteLength;
  }
  let finished = false;
  async function* rest(): AsyncGenerator<Uint8Array> {
    try {
      if (carry) yield carry;
      for (let r = await (pending ?? it.next()); !r.done; r = await it.next()) yield r.value;
      finished = true;
    } finally {
      if (!finished) await it.return?.();
    }
  }
  return new Early(chunks, {
    rest: { [Symbol.asyncIterator]: rest },
    cancel: async () => {
      if (finished) return;
      finished = true;
      await it.return?.();
    },
  });
}
