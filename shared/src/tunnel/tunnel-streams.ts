import { TetherError, TimeoutError, TooBusyError, TunnelClosedError } from '../errors.js';
import { CallCancelledError, toErrorHeader } from './call-errors.js';
import type { StreamFrame } from './frame-format.js';
import type { AcceptHeader, OpenHeader } from './stream-headers.js';
import { sendQuietly, type TunnelLink } from './tunnel-link.js';
import { TunnelStream, type StreamOwner } from './tunnel-stream.js';
import { Cancellation, type CancelSignal } from '../cancellation.js';

/** What a stream's opener asks for: an OPEN header without the deadline (given as an option). */
export type OpenRequest = OpenHeader extends infer H
  ? H extends unknown
    ? Omit<H, 'timeoutMs'>
    : never
  : never;

/** An accepted stream: its pipe and what the acceptor answered. */
export interface OpenedStream {
  stream: TunnelStream;
  accept: AcceptHeader;
}

/** A stream the peer opens: accept it (then splice it) or refuse it, before `head.timeoutMs` passes. */
export interface IncomingStream {
  head: OpenHeader;
  stream: TunnelStream;
  /** Aborted when the stream ends before it was accepted (the peer reset it, the deadline passed, the link went). */
  signal: CancelSignal;
  /** Answers ACCEPT; false when the stream ended meanwhile (reset, deadline, link lost): nothing was sent. */
  accept(header: AcceptHeader): boolean;
  /** Refuses with a named error: its code and status reach the opener (and are counted as a refused open). */
  refuse(error: Error): void;
}

/** Serves the streams the peer opens. */
export type StreamHandler = (incoming: IncomingStream) => void;

/** Counters of the streams of one endpoint (metrics). */
export interface StreamEvents {
  sent?(bytes: number): void;
  received?(bytes: number): void;
  /**
   * This side refused an open of the peer's, with this error code (at its cap, a bad header, or its handler's
   * refusal). An open this side started and the peer refused is counted where it started (the listener, the
   * gateway), so that each refusal is counted once, by the process that decided or first saw it.
   */
  refused?(code: string): void;
}

/** Limits of one endpoint's streams. */
export interface StreamLimits {
  /** Streams open at once, both directions together (default 256); beyond, opens are refused as too_busy. */
  maxStreams: number;
  /** Bytes in flight per stream and direction (default 256 KiB). */
  window: number;
}

/** Default stream limits. */
export const DEFAULT_STREAM_LIMITS: StreamLimits = { maxStreams: 256, window: 256 * 1024 };

/** A stream this side opened, waiting for ACCEPT. */
interface Opening {
  resolve: (opened: OpenedStream) => void;
  reject: (error: Error) => void;
  timer: unknown;
  detach: () => void;
}

/** A stream the peer opened, waiting for the handler to accept it. */
interface Accepting {
  timer: unknown;
  abort: Cancellation;
}

/**
 * The streams of one TunnelEndpoint: opened by this side (`open`) or by the peer (served by `serve`'s handler),
 * keyed by (id, who opened). Caps the streams open at once, enforces the open deadline on both sides, and resets
 * every stream when the link fails.
 */
export class TunnelStreams {
  readonly #link: TunnelLink;
  readonly #limits: StreamLimits;
  readonly #events: StreamEvents;
  readonly #owner: StreamOwner;
  readonly #mine = new Map<number, TunnelStream>();
  readonly #theirs = new Map<number, TunnelStream>();
  readonly #opening = new Map<number, Opening>();
  readonly #accepting = new Map<number, Accepting>();
  #handler: StreamHandler | undefined;
  #nextId = 0;
  #closed = false;

  constructor(link: TunnelLink, limits: StreamLimits, events: StreamEvents = {}) {
    this.#link = link;
    this.#limits = limits;
    this.#events = events;
    this.#owner = {
      link,
      window: limits.window,
      sent: (n) => events.sent?.(n),
      received: (n) => events.received?.(n),
      closed: (stream, error) => this.#forget(stream, error),
    };
  }

  /** Streams open now, both directions. */
  get size(): number {
    return this.#mine.size + this.#theirs.size;
  }

  /** Serves the peer's OPENs with `handler`. */
  serve(handler: StreamHandler): void {
    this.#handler = handler;
  }

  /** Opens a stream; resolves once the peer accepted it, rejects with its refusal, the deadline or an abort. */
  open(request: OpenRequest, options: { timeoutMs: number; signal?: CancelSignal }): Promise<OpenedStream> {
    const { signal, timeoutMs } = options;
    if (this.#closed) return Promise.reject(new TunnelClosedError('tunnel endpoint closed'));
    if (signal?.aborted) return Promise.reject(new CallCancelledError(undefined, { cause: signal.reason }));
    // Counted by whoever asked (the listener, the gateway), as a refusal by the peer is.
    if (this.size >= this.#limits.maxStreams)
      return Promise.reject(
        new TooBusyError(`more than ${this.#limits.maxStreams} streams open to this peer`),
      );
    const id = this.#allocateId();
    const stream = new TunnelStream(this.#owner, id, true);
    this.#mine.set(id, stream);
    return new Promise<OpenedStream>((resolve, reject) => {
      const onAbort = (): void => stream.reset(new CallCancelledError(undefined, { cause: signal?.reason }));
      signal?.addEventListener('abort', onAbort, { once: true });
      const timer = this.#link.clock.setTimeout(
        () => stream.reset(new TimeoutError(`the stream was not accepted within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.#opening.set(id, {
        resolve,
        reject,
        timer,
        detach: () => signal?.removeEventListener('abort', onAbort),
      });
      const header: OpenHeader = { ...request, timeoutMs };
      this.#link.post({ type: 'open', id, fromCaller: true, header }, (err) =>
        stream.fail(new TunnelClosedError('could not send the stream open', { cause: err })),
      );
    });
  }

  /** Takes a stream frame from the peer. */
  receive(frame: StreamFrame): void {
    if (frame.type === 'open') return this.#accept(frame.id, frame.header);
    const stream = frame.fromCaller ? this.#theirs.get(frame.id) : this.#mine.get(frame.id);
    if (!stream) return; // late frames of a stream that already ended
    const opening = frame.fromCaller ? undefined : this.#opening.get(frame.id);
    if (opening) {
      if (frame.type === 'accept') {
        this.#settleOpening(frame.id);
        return opening.resolve({ stream, accept: frame.header });
      }
      if (frame.type !== 'reset') {
        this.#link.malformed('stream_frame_before_accept');
        return stream.reset(new TetherError('protocol_error', `${frame.type} before ACCEPT`));
      }
    }
    stream.receive(frame);
  }

  /** Answers an OPEN whose header was refused at decoding (a path, method or header no front door accepts). */
  refuseMalformed(id: number): void {
    this.#events.refused?.('invalid_request');
    sendQuietly(this.#link, {
      type: 'reset',
      id,
      fromCaller: false,
      header: {
        code: 'invalid_request',
        message: 'the stream open was refused: its header is not one this side accepts',
        status: 400,
      },
    });
  }

  /** Ends every stream with `error` (the link is gone); with `closing`, refuses new ones from now on. */
  fail(error: Error, closing = false): void {
    if (closing) this.#closed = true;
    for (const stream of [...this.#mine.values(), ...this.#theirs.values()]) stream.fail(error);
  }

  #accept(id: number, head: OpenHeader): void {
    if (this.#theirs.has(id)) return this.#link.malformed('duplicate_stream');
    const refuse = (error: Error): void => {
      this.#events.refused?.(error instanceof TetherError ? error.code : 'bad_gateway');
      sendQuietly(this.#link, { type: 'reset', id, fromCaller: false, header: toErrorHeader(error) });
    };
    if (this.#closed) return refuse(new TunnelClosedError('the tunnel is closing'));
    if (this.size >= this.#limits.maxStreams)
      return refuse(new TooBusyError(`more than ${this.#limits.maxStreams} streams open on this tunnel`));
    const handler = this.#handler;
    if (!handler) return refuse(new TetherError('not_serving', 'this peer serves no streams'));
    const stream = new TunnelStream(this.#owner, id, false);
    this.#theirs.set(id, stream);
    const abort = new Cancellation();
    const timer = this.#link.clock.setTimeout(
      () => incoming.refuse(new TimeoutError(`could not connect within ${head.timeoutMs} ms`)),
      head.timeoutMs,
    );
    this.#accepting.set(id, { timer, abort });
    const incoming: IncomingStream = {
      head,
      stream,
      signal: abort.signal,
      accept: (header) => {
        if (!this.#settleAccepting(id) || stream.closed) return false;
        sendQuietly(this.#link, { type: 'accept', id, fromCaller: false, header });
        return true;
      },
      refuse: (error) => {
        if (!this.#accepting.has(id) || stream.closed) return;
        this.#events.refused?.(error instanceof TetherError ? error.code : 'bad_gateway');
        stream.reset(error);
      },
    };
    handler(incoming);
  }

  /** The open of stream `id` (this side's) is decided: stop its deadline and abort watch. */
  #settleOpening(id: number): Opening | undefined {
    const opening = this.#opening.get(id);
    if (!opening) return undefined;
    this.#opening.delete(id);
    this.#link.clock.clearTimeout(opening.timer);
    opening.detach();
    return opening;
  }

  /** The peer's stream `id` was accepted or ended: stop its deadline. */
  #settleAccepting(id: number): Accepting | undefined {
    const accepting = this.#accepting.get(id);
    if (!accepting) return undefined;
    this.#accepting.delete(id);
    this.#link.clock.clearTimeout(accepting.timer);
    return accepting;
  }

  #forget(stream: TunnelStream, error?: Error): void {
    if (stream.opener) {
      this.#mine.delete(stream.id);
      const ended = error ?? new TunnelClosedError('the stream ended before it was accepted');
      this.#settleOpening(stream.id)?.reject(ended);
    } else {
      this.#theirs.delete(stream.id);
      this.#settleAccepting(stream.id)?.abort.abort(error ?? new TunnelClosedError('the stream ended'));
    }
  }

  #allocateId(): number {
    do this.#nextId = this.#nextId >= 0xffffffff ? 1 : this.#nextId + 1;
    while (this.#mine.has(this.#nextId));
    return this.#nextId;
  }
}
