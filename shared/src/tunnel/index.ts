/** The tunnel (docs/tunnel.md): frames, calls and streams multiplexed over one link, and its endpoint. */

// Frames: the format, its codec, the hand-written checks of the hot headers, frames batched into one message.
export {
  CancelHeaderSchema,
  CreditHeaderSchema,
  type CallFrame,
  type ErrorHeader,
  ErrorHeaderSchema,
  FLAG_END,
  FLAG_FROM_CALLER,
  type Frame,
  FRAME_PREFIX_BYTES,
  FrameType,
  isStreamFrame,
  MAX_CHUNK_BYTES,
  MAX_HEADER_BYTES,
  type RequestHeader,
  RequestHeaderSchema,
  type ResponseHeader,
  ResponseHeaderSchema,
  type StreamFrame,
  TUNNEL_PROTOCOL_VERSION,
} from './frame-format.js';
export { decodeFrame, type DecodeResult, encodeFrame, frameLength } from './frame-codec.js';
export { checkCreditHeader, checkRequestHeader, checkResponseHeader } from './hot-headers.js';
export { decodeFrames, FrameBatcher, MAX_FRAME_BATCH_BYTES, MAX_FRAMES_PER_BATCH } from './frame-batch.js';

// Calls: their types and errors, the queue, request and response bodies, credit, the HTTP headers they carry.
export {
  type CallHandler,
  type CallOptions,
  type HeaderList,
  type IncomingCall,
  type OutgoingResponse,
  type TunnelRequest,
  type TunnelResponse,
} from './call-types.js';
export { CallCancelledError, callErrorStatus, fromErrorHeader, toErrorHeader } from './call-errors.js';
export { CallQueue } from './call-queue.js';
export {
  bodyForAttempt,
  DEFAULT_MAX_BODY_BYTES,
  limitBody,
  prepareBody,
  type PreparedBody,
  RETRY_BUFFER_BYTES,
} from './call-body.js';
export { CreditGate, sliceChunk } from './credit-gate.js';
export { InboundBody, type InboundBodyHooks } from './inbound-body.js';
export {
  collectEarly,
  wholeEarly,
  type EarlyBody,
  type NextTurn,
  nextTurn,
  type WholeBody,
  wholeBody,
} from './early-body.js';
export { type BodyEnd, onBodyEnd, watchBody } from './watch-body.js';
export {
  callTimeoutMs,
  DEFAULT_CALL_TIMEOUT_MS,
  forwardableHeaders,
  forwardableList,
  headerRecord,
  HOP_BY_HOP,
  MAX_HOPS,
  nextHops,
  TETHER_HEADERS,
  upstreamHeaders,
} from './http-headers.js';

// Streams: the OPEN/ACCEPT headers, one stream, the streams of one tunnel.
export {
  type AcceptHeader,
  AcceptHeaderSchema,
  GrantHeaderSchema,
  HttpOpenSchema,
  type OpenHeader,
  OpenHeaderSchema,
  SafeHeaderListSchema,
  TcpOpenSchema,
  UpgradeValueSchema,
} from './stream-headers.js';
export { TunnelStream, type StreamOwner } from './tunnel-stream.js';
export {
  DEFAULT_STREAM_LIMITS,
  type IncomingStream,
  type OpenedStream,
  type OpenRequest,
  type StreamEvents,
  type StreamHandler,
  type StreamLimits,
  TunnelStreams,
} from './tunnel-streams.js';

// The endpoint: one side of a tunnel, calls and streams both ways.
export { DEFAULT_WINDOW, TunnelEndpoint, type TunnelEndpointOptions } from './tunnel-endpoint.js';
