import { z } from 'zod';
import { isCallMethod, isCanonicalPath, isCleanQuery } from '../request-target.js';
import { type AcceptHeader, type OpenHeader } from './stream-headers.js';

/** The tunnel frame format version this code speaks. */
export const TUNNEL_PROTOCOL_VERSION = 2;
/** The largest body chunk one DATA frame carries (64 KiB). */
export const MAX_CHUNK_BYTES = 64 * 1024;
/** Flag bit 0: the frame was sent by the call's caller (of a stream: by the side that opened it). */
export const FLAG_FROM_CALLER = 1;
/** Flag bit 1 (REQUEST and RESPONSE only): the sender's whole body is inline, nothing follows. */
export const FLAG_END = 2;
/** Bytes before the header: version, type, call id, flags, header length, body length. */
export const FRAME_PREFIX_BYTES = 15;
/** The largest JSON header accepted (64 KiB: four times node:http's default header limit). */
export const MAX_HEADER_BYTES = 64 * 1024;

/** Frame type numbers on the wire. */
export const FrameType = {
  request: 1,
  response: 2,
  data: 3,
  end: 4,
  credit: 5,
  cancel: 6,
  error: 7,
  // Streams (docs/tunnel.md, "Streams"): a byte stream each way, flow-controlled in bytes.
  open: 8,
  accept: 9,
  bytes: 10,
  shut: 11,
  grant: 12,
  reset: 13,
} as const;

const HeaderListSchema = z.array(z.tuple([z.string().max(1024), z.string().max(65_536)])).max(1000);

/** The head of a REQUEST: opens a call. `service` and `target` (a route address) name what to call. */
export const RequestHeaderSchema = z.object({
  service: z.string().min(1).max(128),
  target: z.string().max(2048).optional(),
  method: z.string().min(1).max(32).refine(isCallMethod, 'an upper-case method token, not CONNECT or TRACE'),
  // What a peer sends up or down the tunnel passes the checks of the front doors: it never reaches a service
  // other than as they would have authorised it.
  path: z.string().max(8192).refine(isCanonicalPath, 'a canonical path (see parseRequestTarget)'),
  query: z.string().max(65_536).refine(isCleanQuery, 'printable ASCII without #'),
  headers: HeaderListSchema,
  timeoutMs: z.number().int().min(0).max(86_400_000),
  caller: z.string().min(1).max(200),
  hops: z.number().int().min(0).max(100),
  body: z.boolean(),
});
/** The head of a REQUEST. */
export type RequestHeader = z.infer<typeof RequestHeaderSchema>;

/** The head of a RESPONSE. */
export const ResponseHeaderSchema = z.object({
  status: z.number().int().min(100).max(999),
  headers: HeaderListSchema,
});
/** The head of a RESPONSE. */
export type ResponseHeader = z.infer<typeof ResponseHeaderSchema>;

/** CREDIT: the receiver consumed `n` chunks. */
export const CreditHeaderSchema = z.object({ n: z.number().int().min(1).max(1_000_000) });
/** CANCEL: why the caller gave up. */
export const CancelHeaderSchema = z.object({ reason: z.string().max(1024) });
/** ERROR: ends the call with an error. */
export const ErrorHeaderSchema = z.object({
  code: z.string().min(1).max(64),
  message: z.string().max(4096),
  status: z.number().int().min(100).max(999),
});
/** The header of an ERROR frame. */
export type ErrorHeader = z.infer<typeof ErrorHeaderSchema>;

interface FrameBase {
  /** Call id, allocated by the caller. */
  id: number;
  /** True when the caller of the call sent this frame. */
  fromCaller: boolean;
}

/**
 * The inline body of a REQUEST or RESPONSE: `body` as decoded; a sender may give `parts` instead (the chunks as
 * they came, sent back to back as one body), so that they are copied once, into the message.
 */
interface InlineBody {
  body?: Uint8Array;
  parts?: readonly Uint8Array[];
  end?: boolean;
}

/**
 * One decoded tunnel frame. REQUEST and RESPONSE may carry the first body chunk inline (`body`) and, with `end`,
 * say the body is complete: a small call costs one frame each way.
 */
export type Frame = FrameBase &
  (
    | ({ type: 'request'; header: RequestHeader } & InlineBody)
    | ({ type: 'response'; header: ResponseHeader } & InlineBody)
    | { type: 'data'; body: Uint8Array }
    | { type: 'end' }
    | { type: 'credit'; header: { n: number } }
    | { type: 'cancel'; header: { reason: string } }
    | { type: 'error'; header: ErrorHeader }
    | { type: 'open'; header: OpenHeader }
    | { type: 'accept'; header: AcceptHeader }
    | { type: 'bytes'; body: Uint8Array }
    | { type: 'shut' }
    | { type: 'grant'; header: { n: number } }
    | { type: 'reset'; header: ErrorHeader }
  );

/** The frames of a stream (as opposed to a call's). */
export type StreamFrame = Extract<Frame, { type: 'open' | 'accept' | 'bytes' | 'shut' | 'grant' | 'reset' }>;

/** The frames of a call. */
export type CallFrame = Exclude<Frame, StreamFrame>;

/** True for the frame types of streams. */
export function isStreamFrame(frame: Frame): frame is StreamFrame {
  return frame.type in STREAM_TYPES;
}
const STREAM_TYPES = { open: 1, accept: 1, bytes: 1, shut: 1, grant: 1, reset: 1 } as const;
