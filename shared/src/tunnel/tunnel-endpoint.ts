import { systemClock, type Clock } from '../clock.js';
import { TetherError, TimeoutError, TooBusyError, TunnelClosedError } from '../errors.js';
import type { Transport } from '../transport.js';
import type {
  CallHandler,
  CallOptions,
  OutgoingResponse,
  TunnelRequest,
  TunnelResponse,
} from './call-types.js';
import { CallCancelledError, fromErrorHeader, toErrorHeader } from './call-errors.js';
import { CallQueue } from './call-queue.js';
import { CreditGate, sliceChunk } from './credit-gate.js';
import { decodeFrame, encodeFrame, MAX_CHUNK_BYTES, type Frame, type RequestHeader } from './frame.js';
import { InboundBody } from './inbound-body.js';

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
  /** A frame was dropped: malformed, or breaking the protocol. */
  onMalformed?: (reason: string) => void;
}

/** The default flow-control window, in chunks. */
export const DEFAULT_WINDOW = 16;

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

interface InCall {
  id: number;
  abort: AbortController;
  body: InboundBody;
  gate: CreditGate;
  timer: unknown;
  done: boolean;
}

/**
 * Multiplexes calls to one peer over a Transport: calls keyed by (call id, side), credit-based flow control per
 * direction, deadlines enforced on both sides, CANCEL on abort, limits with a bounded queue. `fail()` rejects
 * everything in flight (link lost) and leaves the endpoint usable; `close()` also ends it.
 */
export class TunnelEndpoint {
  readonly #o: Required<Omit<TunnelEndpointOptions, 'receiveTopic' | 'onMalformed'>> &
    Pick<TunnelEndpointOptions, 'receiveTopic' | 'onMalformed'>;
  readonly #out = new Map<number, OutCall>();
  readonly #in = new Map<number, InCall>();
  readonly #queue: CallQueue;
  #handler: CallHandler | undefined;
  #nextId = 1;
  #closed = false;
  #unsubscribe: (() => Promise<void>) | undefined;

  constructor(options: TunnelEndpointOptions) {
    this.#o = {
      clock: systemClock,
      maxInFlight: 64,
      maxQueue: 256,
      window: DEFAULT_WINDOW,
      ...options,
    };
    this.#queue = new CallQueue(this.#o.clock);
  }

  /** Subscribes to `receiveTopic` (once). */
  async start(): Promise<void> {
    if (!this.#o.receiveTopic || this.#unsubscribe) return;
    this.#unsubscribe = await this.#o.transport.subscribe(this.#o.receiveTopic, (_t, p) => this.receive(p), {
      qos: 0,
    });
  }

  /** Serves the peer's calls with `handler`. */
  serve(handler: CallHandler): void {
    this.#handler = handler;
  }

  /** Calls in flight each way and calls queued for a slot. */
  get stats(): { outgoing: number; incoming: number; queued: number } {
    return { outgoing: this.#out.size, incoming: this.#in.size, queued: this.#queue.length };
  }

  /** Opens a call; resolves with the response head once it arrives (the body follows as it streams). */
  async call(request: TunnelRequest, options: CallOptions): Promise<TunnelResponse> {
    if (this.#closed) throw new TunnelClosedError('tunnel endpoint closed');
    const { signal } = options;
    if (signal?.aborted) throw new CallCancelledError(undefined, { cause: signal.reason });
    const deadline = this.#o.clock.now() + options.timeoutMs;
    if (this.#out.size >= this.#o.maxInFlight) {
      if (this.#queue.length >= this.#o.maxQueue)
        throw new TooBusyError(`more than ${this.#o.maxInFlight + this.#o.maxQueue} calls to this peer`);
      await this.#queue.wait(deadline, signal);
    }
    return new Promise<TunnelResponse>((resolve, reject) => {
      const id = this.#allocateId();
      const onAbort = (): void =>
        this.#cancel(call, new CallCancelledError(undefined, { cause: signal?.reason }));
      const call: OutCall = {
        id,
        resolve,
        reject,
        timer: undefined,
        gate: new CreditGate(this.#o.window),
        response: undefined,
        detach: () => signal?.removeEventListener('abort', onAbort),
        done: false,
      };
      this.#out.set(id, call);
      const remaining = Math.max(0, deadline - this.#o.clock.now());
      call.timer = this.#o.clock.setTimeout(
        () => this.#cancel(call, new TimeoutError(`no complete response within ${options.timeoutMs} ms`)),
        remaining,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      const head: RequestHeader = { ...request, timeoutMs: remaining, body: options.body !== undefined };
      this.#send({ type: 'request', id, fromCaller: true, header: head }).catch((err: unknown) =>
        this.#finishOut(call, new TunnelClosedError('could not send the request', { cause: err })),
      );
      if (options.body) void this.#pumpRequest(call, options.body);
    });
  }

  /** Feeds one received frame (raw bytes); malformed frames are counted and dropped, never thrown. */
  receive(bytes: Uint8Array): void {
    const decoded = decodeFrame(bytes);
    if (!decoded.ok) return this.#malformed(decoded.reason);
    const frame = decoded.frame;
    if (frame.fromCaller) this.#receiveAsCallee(frame);
    else this.#receiveAsCaller(frame);
  }

  /** The link is gone: every call in flight fails with `error` at once; the endpoint stays usable. */
  fail(error: Error = new TunnelClosedError()): void {
    this.#queue.failAll(error);
    for (const call of [...this.#out.values()]) this.#finishOut(call, error);
    for (const call of [...this.#in.values()]) this.#finishIn(call, error);
  }

  /** Fails every call with TunnelClosedError and stops receiving. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.fail(new TunnelClosedError('tunnel closed'));
    await this.#unsubscribe?.().catch(() => undefined);
  }

  #allocateId(): number {
    do this.#nextId = this.#nextId >= 0xffffffff ? 1 : this.#nextId + 1;
    while (this.#out.has(this.#nextId));
    return this.#nextId;
  }

  #send(frame: Frame): Promise<void> {
    return this.#o.transport.publish(this.#o.sendTopic, encodeFrame(frame), { qos: 0 });
  }

  #sendQuietly(frame: Frame): void {
    this.#send(frame).catch(() => undefined);
  }

  /**
   * Sends without waiting for the transport: both transports take publishes in call order, and the window bounds
   * what is in flight, so waiting for each broker callback would only add latency. A failed send fails the call.
   */
  #sendOrFail(frame: Frame, fail: (err: Error) => void): void {
    this.#send(frame).catch((err: unknown) =>
      fail(new TunnelClosedError('could not send a frame to the peer', { cause: err })),
    );
  }

  #malformed(reason: string): void {
    this.#o.onMalformed?.(reason);
  }

  async #pump(
    body: AsyncIterable<Uint8Array>,
    gate: CreditGate,
    id: number,
    fromCaller: boolean,
    isDone: () => boolean,
    fail: (err: Error) => void,
  ): Promise<void> {
    for await (const chunk of body) {
      for (const piece of sliceChunk(chunk, MAX_CHUNK_BYTES)) {
        if (!(await gate.take()) || isDone()) return;
        this.#sendOrFail({ type: 'data', id, fromCaller, body: piece }, fail);
      }
      if (isDone()) return;
    }
    if (!isDone()) this.#sendOrFail({ type: 'end', id, fromCaller }, fail);
  }

  async #pumpRequest(call: OutCall, body: AsyncIterable<Uint8Array>): Promise<void> {
    try {
      await this.#pump(
        body,
        call.gate,
        call.id,
        true,
        () => call.done,
        (err) => this.#finishOut(call, err),
      );
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      this.#cancel(call, error);
    }
  }

  /** Ends an outgoing call locally with `error` and tells the callee to abort. */
  #cancel(call: OutCall, error: Error): void {
    if (call.done) return;
    this.#sendQuietly({
      type: 'cancel',
      id: call.id,
      fromCaller: true,
      header: { reason: error.message.slice(0, 1024) },
    });
    this.#finishOut(call, error);
  }

  #finishOut(call: OutCall, error?: Error): void {
    if (call.done) return;
    call.done = true;
    this.#o.clock.clearTimeout(call.timer);
    call.detach();
    call.gate.close();
    this.#out.delete(call.id);
    if (error) {
      if (call.response) call.response.fail(error);
      else call.reject(error);
    }
    this.#queue.startNext();
  }

  #receiveAsCaller(frame: Frame): void {
    const call = this.#out.get(frame.id);
    if (!call) return; // late frames of a call that already ended
    switch (frame.type) {
      case 'response': {
        if (call.response) return this.#malformed('duplicate_response');
        const body = new InboundBody(
          {
            grant: (n) =>
              !call.done &&
              this.#sendQuietly({ type: 'credit', id: call.id, fromCaller: true, header: { n } }),
            abandon: () => this.#cancel(call, new CallCancelledError('response body abandoned')),
          },
          this.#o.window,
        );
        call.response = body;
        call.resolve({ status: frame.header.status, headers: frame.header.headers, body });
        return;
      }
      case 'data':
        if (!call.response) return this.#malformed('data_before_response');
        if (call.response.buffered >= this.#o.window) {
          this.#malformed('window_exceeded');
          return this.#cancel(
            call,
            new TetherError('protocol_error', 'peer exceeded the flow-control window'),
          );
        }
        return call.response.push(frame.body);
      case 'end':
        if (!call.response) return this.#malformed('end_before_response');
        call.response.end();
        return this.#finishOut(call);
      case 'credit':
        return call.gate.add(frame.header.n);
      case 'error':
        return this.#finishOut(call, fromErrorHeader(frame.header));
      case 'request':
      case 'cancel':
        return this.#malformed('wrong_side');
      default: {
        const never: never = frame;
        return never;
      }
    }
  }

  #receiveAsCallee(frame: Frame): void {
    if (frame.type === 'request') return this.#accept(frame.id, frame.header);
    const call = this.#in.get(frame.id);
    if (!call) return;
    switch (frame.type) {
      case 'data':
        if (call.body.buffered >= this.#o.window) {
          this.#malformed('window_exceeded');
          return this.#abortIn(
            call,
            new TetherError('protocol_error', 'peer exceeded the flow-control window'),
          );
        }
        return call.body.push(frame.body);
      case 'end':
        return call.body.end();
      case 'credit':
        return call.gate.add(frame.header.n);
      case 'cancel':
        return this.#finishIn(
          call,
          new CallCancelledError(`cancelled by the caller: ${frame.header.reason}`),
        );
      case 'response':
      case 'error':
        return this.#malformed('wrong_side');
      default: {
        const never: never = frame;
        return never;
      }
    }
  }

  #accept(id: number, head: RequestHeader): void {
    if (this.#in.has(id)) return this.#malformed('duplicate_call');
    const reply = (error: Error): void =>
      this.#sendQuietly({ type: 'error', id, fromCaller: false, header: toErrorHeader(error) });
    if (this.#closed) return reply(new TunnelClosedError());
    if (this.#in.size >= this.#o.maxInFlight + this.#o.maxQueue)
      return reply(new TooBusyError('the callee has too many calls in flight'));
    const handler = this.#handler;
    if (!handler) return reply(new TetherError('not_serving', 'this peer serves no calls'));
    const call: InCall = {
      id,
      abort: new AbortController(),
      body: new InboundBody(
        {
          grant: (n) =>
            !call.done && this.#sendQuietly({ type: 'credit', id, fromCaller: false, header: { n } }),
          abandon: () => undefined,
        },
        this.#o.window,
      ),
      gate: new CreditGate(this.#o.window),
      timer: undefined,
      done: false,
    };
    if (!head.body) call.body.end();
    this.#in.set(id, call);
    call.timer = this.#o.clock.setTimeout(
      () => this.#abortIn(call, new TimeoutError(`deadline of ${head.timeoutMs} ms passed at the callee`)),
      head.timeoutMs,
    );
    void this.#run(call, handler, head);
  }

  async #run(call: InCall, handler: CallHandler, head: RequestHeader): Promise<void> {
    try {
      const res: OutgoingResponse = await handler({ head, body: call.body, signal: call.abort.signal });
      if (call.done) return;
      const fail = (err: Error): void => this.#finishIn(call, err);
      const header = { status: res.status, headers: res.headers };
      this.#sendOrFail({ type: 'response', id: call.id, fromCaller: false, header }, fail);
      if (res.body) await this.#pump(res.body, call.gate, call.id, false, () => call.done, fail);
      else this.#sendOrFail({ type: 'end', id: call.id, fromCaller: false }, fail);
      this.#finishIn(call);
    } catch (err) {
      this.#abortIn(call, err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Ends an incoming call with an ERROR frame to the caller and aborts the local work. */
  #abortIn(call: InCall, error: Error): void {
    if (call.done) return;
    this.#sendQuietly({ type: 'error', id: call.id, fromCaller: false, header: toErrorHeader(error) });
    this.#finishIn(call, error);
  }

  #finishIn(call: InCall, error?: Error): void {
    if (call.done) return;
    call.done = true;
    this.#o.clock.clearTimeout(call.timer);
    call.gate.close();
    this.#in.delete(call.id);
    if (error) {
      call.body.fail(error);
      call.abort.abort(error);
    }
  }
}
