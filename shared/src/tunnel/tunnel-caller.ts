import { TetherError, TimeoutError, TooBusyError, TunnelClosedError } from '../errors.js';
import { pumpBody } from './body-pump.js';
import { CallCancelledError, fromErrorHeader } from './call-errors.js';
import { CallQueue } from './call-queue.js';
import type { CancelSignal } from '../cancellation.js';
import type { CallOptions, TunnelRequest, TunnelResponse } from './call-types.js';
import { CreditGate } from './credit-gate.js';
import { collectEarly, wholeEarly, type EarlyBody } from './early-body.js';
import { MAX_CHUNK_BYTES, type CallFrame, type Frame, type RequestHeader } from './frame-format.js';
import { InboundBody } from './inbound-body.js';
import { sendOrFail, sendQuietly, type TunnelLink } from './tunnel-link.js';

interface OutCall {
  id: number;
  resolve: (res: TunnelResponse) => void;
  reject: (err: Error) => void;
  timer: unknown;
  gate: CreditGate;
  response: InboundBody | undefined;
  detach: () => void;
  done: boolean;
}

/** Limits of the caller half: calls in flight at once, and calls that may wait for a slot. */
export interface CallerLimits {
  maxInFlight: number;
  maxQueue: number;
}

/** The caller half of a TunnelEndpoint: correlation ids, deadlines, CANCEL on abort, the in-flight limit. */
export class TunnelCaller {
  readonly #link: TunnelLink;
  readonly #limits: CallerLimits;
  readonly #out = new Map<number, OutCall>();
  readonly #queue: CallQueue;
  #nextId = 1;
  /** Slots promised to calls that are not in `#out` yet (handed over from the queue, or reading their body). */
  #reserved = 0;

  constructor(link: TunnelLink, limits: CallerLimits) {
    this.#link = link;
    this.#limits = limits;
    this.#queue = new CallQueue(link.clock);
  }

  /** Calls in flight, and calls queued for a slot. */
  get stats(): { outgoing: number; queued: number } {
    return { outgoing: this.#out.size, queued: this.#queue.length };
  }

  /** Opens a call; resolves with the response head once it arrives (the body follows as it streams). */
  async call(request: TunnelRequest, options: CallOptions): Promise<TunnelResponse> {
    const { signal } = options;
    const { clock } = this.#link;
    if (signal?.aborted) throw new CallCancelledError(undefined, { cause: signal.reason });
    const deadline = clock.now() + options.timeoutMs;
    if (this.#out.size + this.#reserved >= this.#limits.maxInFlight) {
      if (this.#queue.length >= this.#limits.maxQueue)
        throw new TooBusyError(
          `more than ${this.#limits.maxInFlight + this.#limits.maxQueue} calls to this peer`,
        );
      await this.#queue.wait(deadline, signal); // the slot comes reserved
    } else this.#reserved++;
    let early: EarlyBody | undefined;
    try {
      // A short body that is already here travels inside the REQUEST: one frame for the whole call.
      const body = options.body;
      early = body
        ? (wholeEarly(body, MAX_CHUNK_BYTES) ?? (await collectEarly(body, MAX_CHUNK_BYTES, this.#link.turn)))
        : undefined;
    } catch (err) {
      this.#reserved--;
      this.#startQueued();
      throw err;
    }
    if (signal?.aborted) {
      // Cancelled while the body was read ahead: its listener would come too late to fire.
      this.#reserved--;
      this.#startQueued();
      throw new CallCancelledError(undefined, { cause: signal.reason });
    }
    const { timeoutMs } = options;
    return new Promise<TunnelResponse>((resolve, reject) => {
      this.#reserved--;
      const remaining = Math.max(0, deadline - clock.now());
      const call = this.#register(resolve, reject, signal, remaining, timeoutMs);
      this.#sendRequest(call, request, early, remaining);
    });
  }

  /**
   * A call in flight: its deadline timer and its abort listener. Made here, in a scope that holds neither the
   * request nor its body: closures made in `call` kept its body alive as long as the call ran.
   */
  #register(
    resolve: (response: TunnelResponse) => void,
    reject: (error: Error) => void,
    signal: CancelSignal | undefined,
    remaining: number,
    timeoutMs: number,
  ): OutCall {
    const id = this.#allocateId();
    const onAbort = (): void =>
      this.#cancel(call, new CallCancelledError(undefined, { cause: signal?.reason }));
    const call: OutCall = {
      id,
      resolve,
      reject,
      timer: undefined,
      gate: new CreditGate(this.#link.window),
      response: undefined,
      detach: () => signal?.removeEventListener('abort', onAbort),
      done: false,
    };
    this.#out.set(id, call);
    call.timer = this.#link.clock.setTimeout(
      () => this.#cancel(call, new TimeoutError(`no complete response within ${timeoutMs} ms`)),
      remaining,
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    return call;
  }

  /** Sends a registered call's REQUEST (with the body inline when it is all there), then streams the rest. */
  #sendRequest(call: OutCall, request: TunnelRequest, early: EarlyBody | undefined, remaining: number): void {
    const { id } = call;
    // Literals of fixed shapes, no spreads: this runs on every call.
    const header: RequestHeader = {
      service: request.service,
      target: request.target,
      method: request.method,
      path: request.path,
      query: request.query,
      headers: request.headers,
      caller: request.caller,
      hops: request.hops,
      timeoutMs: remaining,
      body: early !== undefined,
    };
    const frame: Frame = early
      ? { type: 'request', id, fromCaller: true, header, parts: early.parts, end: early.ended }
      : { type: 'request', id, fromCaller: true, header };
    sendOrFail(this.#link, frame, (err) =>
      this.#finish(call, new TunnelClosedError('could not send the request', { cause: err })),
    );
    if (early && !early.ended) void this.#pumpRequest(call, early);
  }

  /** Takes a frame the peer sent as callee. */
  receive(frame: CallFrame): void {
    const call = this.#out.get(frame.id);
    if (!call) return; // late frames of a call that already ended
    switch (frame.type) {
      case 'response':
        return this.#respond(call, frame);
      case 'data':
        if (!call.response) return this.#outOfOrder(call, 'data_before_response');
        if (call.response.buffered >= this.#link.window) {
          this.#link.malformed('window_exceeded');
          return this.#cancel(
            call,
            new TetherError('protocol_error', 'peer exceeded the flow-control window'),
          );
        }
        return call.response.push(frame.body);
      case 'end':
        if (!call.response) return this.#outOfOrder(call, 'end_before_response');
        call.response.end();
        return this.#finish(call);
      case 'credit':
        return call.gate.add(frame.header.n);
      case 'error':
        return this.#finish(call, fromErrorHeader(frame.header));
      case 'request':
      case 'cancel':
        return this.#link.malformed('wrong_side');
      default: {
        const never: never = frame;
        return never;
      }
    }
  }

  /**
   * A body frame came before its call's RESPONSE: counted as malformed, and the call fails now (a protocol_error,
   * CANCEL to the callee) rather than wait for a head that would come after bytes already dropped, to its deadline.
   */
  #outOfOrder(call: OutCall, reason: 'data_before_response' | 'end_before_response'): void {
    this.#link.malformed(reason);
    this.#cancel(
      call,
      new TetherError('protocol_error', `the peer sent the call's body before its response head (${reason})`),
    );
  }

  /** Fails every call in flight and every queued call with `error`. */
  fail(error: Error): void {
    this.#queue.failAll(error);
    for (const call of [...this.#out.values()]) this.#finish(call, error);
  }

  #respond(call: OutCall, frame: Extract<Frame, { type: 'response' }>): void {
    if (call.response) return this.#link.malformed('duplicate_response');
    const body = new InboundBody(
      {
        grant: (n) =>
          !call.done &&
          sendQuietly(this.#link, { type: 'credit', id: call.id, fromCaller: true, header: { n } }),
        abandon: () => this.#cancel(call, new CallCancelledError('response body abandoned')),
      },
      this.#link.window,
    );
    if (frame.body) body.push(frame.body, false);
    call.response = body;
    call.resolve({ status: frame.header.status, headers: frame.header.headers, body });
    if (frame.end) {
      body.end();
      this.#finish(call);
    }
  }

  #allocateId(): number {
    do this.#nextId = this.#nextId >= 0xffffffff ? 1 : this.#nextId + 1;
    while (this.#out.has(this.#nextId));
    return this.#nextId;
  }

  async #pumpRequest(call: OutCall, early: EarlyBody): Promise<void> {
    const fail = (err: Error): void => this.#finish(call, err);
    const target = { id: call.id, fromCaller: true, gate: call.gate, isDone: () => call.done };
    try {
      await pumpBody(early.rest, target, (f, onFail) => sendOrFail(this.#link, f, onFail), fail);
    } catch (err) {
      this.#cancel(call, err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Ends a call locally with `error` and tells the callee to abort. */
  #cancel(call: OutCall, error: Error): void {
    if (call.done) return;
    const header = { reason: error.message.slice(0, 1024) };
    sendQuietly(this.#link, { type: 'cancel', id: call.id, fromCaller: true, header });
    this.#finish(call, error);
  }

  #finish(call: OutCall, error?: Error): void {
    if (call.done) return;
    call.done = true;
    this.#link.clock.clearTimeout(call.timer);
    call.detach();
    call.gate.close();
    this.#out.delete(call.id);
    if (error) {
      if (call.response) call.response.fail(error);
      else call.reject(error);
    }
    this.#startQueued();
  }

  /** Hands a free slot, reserved, to the longest waiting call. */
  #startQueued(): void {
    if (this.#queue.length === 0 || this.#out.size + this.#reserved >= this.#limits.maxInFlight) return;
    this.#reserved++;
    this.#queue.startNext();
  }
}
