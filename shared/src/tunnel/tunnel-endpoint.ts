import { systemClock, type Clock } from '../clock.js';
import { TunnelClosedError } from '../errors.js';
import type { Transport } from '../transport.js';
import type { CallHandler, CallOptions, TunnelRequest, TunnelResponse } from './call-types.js';
import { nextTurn, type NextTurn } from './early-body.js';
import { concatBytes } from './bytes.js';
import { decodeFrames, FrameBatcher } from './frame-batch.js';
import { isStreamFrame, type Frame } from './frame-format.js';
import { TunnelCallee } from './tunnel-callee.js';
import { TunnelCaller } from './tunnel-caller.js';
import type { TunnelLink } from './tunnel-link.js';
import {
  DEFAULT_STREAM_LIMITS,
  TunnelStreams,
  type OpenedStream,
  type OpenRequest,
  type StreamEvents,
  type StreamHandler,
  type StreamLimits,
} from './tunnel-streams.js';
import type { CancelSignal } from '../cancellation.js';

/** Options of a TunnelEndpoint (one per peer). */
export interface TunnelEndpointOptions {
  transport: Transport;
  /** Where this side's frames go (`tunnel-up` at the agent, `tunnel-down` at the hub). */
  sendTopic: string;
  /** When given, `start()` subscribes to it; otherwise the owner feeds frames to `receive()`. */
  receiveTopic?: string;
  clock?: Clock;
  /** Calls in flight to the peer at once (default 64). */
  maxInFlight?: number;
  /** Calls waiting for a slot (default 256); beyond, `TooBusyError`. */
  maxQueue?: number;
  /** Chunks in flight per direction and call (default 16). */
  window?: number;
  /**
   * One event-loop turn (default `setImmediate`): how long a body may take to show it is complete and travel
   * inline, and how long frames gather into one message.
   */
  turn?: NextTurn;
  /** A frame was dropped: malformed, or breaking the protocol. */
  onMalformed?: (reason: string) => void;
  /** Streams open at once and bytes in flight per stream (default DEFAULT_STREAM_LIMITS). */
  streams?: Partial<StreamLimits>;
  /** Stream counters: bytes each way, refused opens. */
  streamEvents?: StreamEvents;
}

/** The default flow-control window, in chunks. */
export const DEFAULT_WINDOW = 16;

/** The ERROR answering a REQUEST whose header was refused (a method, path or query no front door accepts). */
function refusal(id: number): Frame {
  return {
    id,
    fromCaller: false,
    type: 'error',
    header: {
      code: 'invalid_request',
      message: 'the request was refused: its method, path or query is not one a front door would accept',
      status: 400,
    },
  };
}

/**
 * Multiplexes calls and byte streams to one peer over a Transport: calls keyed by (call id, side), credit-based
 * flow control per direction, deadlines enforced on both sides, CANCEL on abort, limits with a bounded queue, and a
 * short complete body inline in its REQUEST or RESPONSE; streams (TunnelStreams) beside them. `fail()` ends
 * everything in flight (link lost) and leaves the endpoint usable; `close()` also ends it.
 */
export class TunnelEndpoint {
  readonly #caller: TunnelCaller;
  readonly #callee: TunnelCallee;
  readonly #streams: TunnelStreams;
  readonly #transport: Transport;
  readonly #receiveTopic: string | undefined;
  readonly #onMalformed: ((reason: string) => void) | undefined;
  readonly #post: (frame: Frame) => void;
  #closed = false;
  #unsubscribe: (() => Promise<void>) | undefined;

  constructor(options: TunnelEndpointOptions) {
    const { transport, sendTopic } = options;
    this.#transport = transport;
    this.#receiveTopic = options.receiveTopic;
    this.#onMalformed = options.onMalformed;
    const turn = options.turn ?? nextTurn;
    // Written part by part where the transport can (no 64 KiB copy per call), else joined and published.
    const batcher = new FrameBatcher(
      (parts, size) =>
        transport.publishParts?.(sendTopic, parts, size) ??
        transport.publish(sendTopic, concatBytes(parts, size), { qos: 0 }),
      turn,
    );
    this.#post = (frame) => batcher.post(frame);
    const link: TunnelLink = {
      clock: options.clock ?? systemClock,
      window: options.window ?? DEFAULT_WINDOW,
      turn,
      post: (frame, failed) => batcher.post(frame, failed),
      malformed: (reason) => this.#onMalformed?.(reason),
    };
    const maxInFlight = options.maxInFlight ?? 64;
    const maxQueue = options.maxQueue ?? 256;
    this.#caller = new TunnelCaller(link, { maxInFlight, maxQueue });
    this.#callee = new TunnelCallee(link, maxInFlight + maxQueue);
    this.#streams = new TunnelStreams(
      link,
      { ...DEFAULT_STREAM_LIMITS, ...options.streams },
      options.streamEvents,
    );
  }

  /** Subscribes to `receiveTopic` (once). */
  async start(): Promise<void> {
    if (!this.#receiveTopic || this.#unsubscribe) return;
    this.#unsubscribe = await this.#transport.subscribe(this.#receiveTopic, (_t, p) => this.receive(p), {
      qos: 0,
    });
  }

  /** Serves the peer's calls with `handler`. */
  serve(handler: CallHandler): void {
    this.#callee.serve(handler);
  }

  /** Serves the streams the peer opens with `handler`. */
  serveStreams(handler: StreamHandler): void {
    this.#streams.serve(handler);
  }

  /** Calls in flight each way, calls queued for a slot, and streams open. */
  get stats(): { outgoing: number; incoming: number; queued: number; streams: number } {
    return { ...this.#caller.stats, incoming: this.#callee.size, streams: this.#streams.size };
  }

  /** Opens a byte stream; resolves once the peer accepted it (see TunnelStreams.open). */
  async openStream(
    request: OpenRequest,
    options: { timeoutMs: number; signal?: CancelSignal },
  ): Promise<OpenedStream> {
    if (this.#closed) throw new TunnelClosedError('tunnel endpoint closed');
    return this.#streams.open(request, options);
  }

  /** Opens a call; resolves with the response head once it arrives (the body follows as it streams). */
  async call(request: TunnelRequest, options: CallOptions): Promise<TunnelResponse> {
    if (this.#closed) throw new TunnelClosedError('tunnel endpoint closed');
    return this.#caller.call(request, options);
  }

  /** Feeds one received message (one or more frames); malformed frames are counted and dropped, never thrown. */
  receive(bytes: Uint8Array): void {
    for (const decoded of decodeFrames(bytes)) {
      if (!decoded.ok) {
        this.#onMalformed?.(decoded.reason);
        // A request or stream this side refuses is answered, not left to its opener's deadline.
        if (decoded.refused === undefined) continue;
        if (decoded.stream) this.#streams.refuseMalformed(decoded.refused);
        else this.#post(refusal(decoded.refused));
      } else if (isStreamFrame(decoded.frame)) this.#streams.receive(decoded.frame);
      else if (decoded.frame.fromCaller) this.#callee.receive(decoded.frame);
      else this.#caller.receive(decoded.frame);
    }
  }

  /** The link is gone: every call in flight fails with `error` at once; the endpoint stays usable. */
  fail(error: Error = new TunnelClosedError()): void {
    this.#caller.fail(error);
    this.#callee.fail(error);
    this.#streams.fail(error);
  }

  /** Fails every call with TunnelClosedError and stops receiving. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const error = new TunnelClosedError('tunnel closed');
    this.#caller.fail(error);
    this.#callee.fail(error, true);
    this.#streams.fail(error, true);
    await this.#unsubscribe?.().catch(() => undefined);
  }
}
