import type { RequestHeader, ResponseHeader } from './frame-format.js';
import type { CancelSignal } from '../cancellation.js';

/** A header list as on the wire: `[name, value]` pairs, repeated names allowed. */
export type HeaderList = Array<[string, string]>;

/** What a caller sends to open a call (the deadline and body travel separately). */
export type TunnelRequest = Omit<RequestHeader, 'timeoutMs' | 'body'>;

/** Per-call options: the deadline (relative ms), cancellation and the request body. */
export interface CallOptions {
  timeoutMs: number;
  signal?: CancelSignal;
  body?: AsyncIterable<Uint8Array>;
}

/** A call's response: its head, then the body as it arrives (flow-controlled). */
export interface TunnelResponse extends ResponseHeader {
  body: AsyncIterable<Uint8Array>;
}

/** A call arriving at the callee: its head, its request body and a signal aborted on CANCEL, deadline or close. */
export interface IncomingCall {
  head: RequestHeader;
  body: AsyncIterable<Uint8Array>;
  signal: CancelSignal;
}

/** What a callee's handler answers with. */
export interface OutgoingResponse extends ResponseHeader {
  body?: AsyncIterable<Uint8Array>;
}

/** Serves incoming calls; a thrown TetherError becomes an ERROR frame with its status. */
export type CallHandler = (call: IncomingCall) => Promise<OutgoingResponse>;
