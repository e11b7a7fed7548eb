import { Cancellation } from '../cancellation.js';
import { TetherError, TimeoutError, TunnelClosedError, TooBusyError } from '../errors.js';
import { pumpBody } from './body-pump.js';
import { CallCancelledError, toErrorHeader } from './call-errors.js';
import type { CallHandler, OutgoingResponse } from './call-types.js';
import { CreditGate } from './credit-gate.js';
import { collectEarly, wholeEarly } from './early-body.js';
import { MAX_CHUNK_BYTES, type CallFrame, type Frame, type RequestHeader } from './frame-format.js';
import { InboundBody } from './inbound-body.js';
import { sendOrFail, sendQuietly, type TunnelLink } from './tunnel-link.js';

interface InCall {
  id: number;
  abort: Cancellation;
  body: InboundBody;
  gate: CreditGate;
  timer: unknown;
  done: boolean;
}

type RequestFrame = Extract<Frame, { type: 'request' }>;

/** The callee half of a TunnelEndpoint: serves the peer's calls with a handler, enforcing their deadlines. */
export class TunnelCallee {
  readonly #link: TunnelLink;
  readonly #limit: number;
  readonly #in = new Map<number, InCall>();
  #handler: CallHandler | undefined;
  #closed = false;

  /** `limit`: calls served at once; beyond, the peer gets TooBusyError. */
  constructor(link: TunnelLink, limit: number) {
    this.#link = link;
    this.#limit = limit;
  }

  /** Calls being served now. */
  get size(): number {
    return this.#in.size;
  }

  /** Serves the peer's calls with `handler`. */
  serve(handler: CallHandler): void {
    this.#handler = handler;
  }

  /** Takes a frame the peer sent as caller. */
  receive(frame: CallFrame): void {
    if (frame.type === 'request') return this.#accept(frame);
    const call = this.#in.get(frame.id);
    if (!call) return;
    switch (frame.type) {
      case 'data':
        if (call.body.buffered >= this.#link.window) {
          this.#link.malformed('window_exceeded');
          return this.#abort(
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
        return this.#finish(call, new CallCancelledError(`cancelled by the caller: ${frame.header.reason}`));
      case 'response':
      case 'error':
        return this.#link.malformed('wrong_side');
      default: {
        const never: never = frame;
        return never;
      }
    }
  }

  /** Aborts every call being served with `error`; with `closing`, refuses new ones from now on. */
  fail(error: Error, closing = false): void {
    if (closing) this.#closed = true;
    for (const call of [...this.#in.values()]) this.#finish(call, error);
  }

  #accept(frame: RequestFrame): void {
    const { id, header: head } = frame;
    if (this.#in.has(id)) return this.#link.malformed('duplicate_call');
    const reply = (error: Error): void =>
      sendQuietly(this.#link, { type: 'error', id, fromCaller: false, header: toErrorHeader(error) });
    if (this.#closed) return reply(new TunnelClosedError());
    if (this.#in.size >= this.#limit)
      return reply(new TooBusyError('the callee has too many calls in flight'));
    const handler = this.#handler;
    if (!handler) return reply(new TetherError('not_serving', 'this peer serves no calls'));
    const call: InCall = {
      id,
      abort: new Cancellation(),
      body: new InboundBody(
        {
          grant: (n) =>
            !call.done && sendQuietly(this.#link, { type: 'credit', id, fromCaller: false, header: { n } }),
          abandon: () => undefined,
        },
        this.#link.window,
      ),
      gate: new CreditGate(this.#link.window),
      timer: undefined,
      done: false,
    };
    if (frame.body) call.body.push(frame.body, false);
    if (!head.body || frame.end) call.body.end();
    this.#in.set(id, call);
    call.timer = this.#link.clock.setTimeout(
      () => this.#abort(call, new TimeoutError(`deadline of ${head.timeoutMs} ms passed at the callee`)),
      head.timeoutMs,
    );
    void this.#run(call, handler, head);
  }

  async #run(call: InCall, handler: CallHandler, head: RequestHeader): Promise<void> {
    try {
      const res: OutgoingResponse = await handler({ head, body: call.body, signal: call.abort });

      const early = res.body
        ? (wholeEarly(res.body, MAX_CHUNK_BYTES) ??
          (await collectEarly(res.body, MAX_CHUNK_BYTES, this.#link.turn)))
        : undefined;
      if (call.done) return void (await early?.cancel());
      const fail = (err: Error): void => this.#finish(call, err);
      const { id } = call;
      const header = { status: res.status, headers: res.headers };
      const frame: Frame = {
        type: 'response',
        id,
        fromCaller: false,
        header,
        parts: early?.parts,
        end: early?.ended ?? true,
      };
      sendOrFail(this.#link, frame, fail);
      if (early && !early.ended) {
        const target = { id, fromCaller: false, gate: call.gate, isDone: () => call.done };
        await pumpBody(early.rest, target, (f, onFail) => sendOrFail(this.#link, f, onFail), fail);
      }
      this.#finish(call);
    } catch (err) {
      this.#abort(call, err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Ends a call with an ERROR frame to the caller and aborts the local work. */
  #abort(call: InCall, error: Error): void {
    if (call.done) return;
    sendQuietly(this.#link, { type: 'error', id: call.id, fromCaller: false, header: toErrorHeader(error) });
    this.#finish(call, error);
  }

  #finish(call: InCall, error?: Error): void {
    if (call.done) return;
    call.done = true;
    this.#link.clock.clearTimeout(call.timer);
    call.gate.close();
    this.#in.delete(call.id);
    if (error) {
      call.body.fail(error);
      call.abort.abort(error);
    }
  }
}
