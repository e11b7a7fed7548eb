import { z } from 'zod';

/** The tunnel frame format version this code speaks. */
export const TUNNEL_PROTOCOL_VERSION = 2;
/** The largest body chunk one DATA frame carries (64 KiB). */
export const MAX_CHUNK_BYTES = 64 * 1024;
/** Flag bit 0: the frame was sent by the call's caller. */
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
} as const;

const HeaderListSchema = z.array(z.tuple([z.string().max(1024), z.string().max(65_536)])).max(1000);

/** The head of a REQUEST: opens a call. `service` and `target` (a route address) name what to call. */
export const RequestHeaderSchema = z.object({
  service: z.string().min(1).max(128),
  target: z.string().max(2048).optional(),
  method: z.string().min(1).max(32),
  path: z.string().max(8192),
  query: z.string().max(65_536),
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
 * One decoded tunnel frame. REQUEST and RESPONSE may carry the first body chunk inline (`body`) and, with `end`,
 * say the body is complete: a small call costs one frame each way.
 */
export type Frame = FrameBase &
  (
    | { type: 'request'; header: RequestHeader; body?: Uint8Array; end?: boolean }
    | { type: 'response'; header: ResponseHeader; body?: Uint8Array; end?: boolean }
    | { type: 'data'; body: Uint8Array }
    | { type: 'end' }
    | { type: 'credit'; header: { n: number } }
    | { type: 'cancel'; header: { reason: string } }
    | { type: 'error'; header: ErrorHeader }
  );

/** The result of decoding: a frame, or the reason the bytes were refused. */
export type DecodeResult = { ok: true; frame: Frame } | { ok: false; reason: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Encodes one frame to its binary form. */
export function encodeFrame(frame: Frame): Uint8Array {
  const header = 'header' in frame ? encoder.encode(JSON.stringify(frame.header)) : new Uint8Array(0);
  const body =
    frame.type === 'data' || frame.type === 'request' || frame.type === 'response'
      ? (frame.body ?? new Uint8Array(0))
      : new Uint8Array(0);
  const end = (frame.type === 'request' || frame.type === 'response') && frame.end === true;
  const out = new Uint8Array(FRAME_PREFIX_BYTES + header.byteLength + body.byteLength);
  const view = new DataView(out.buffer);
  view.setUint8(0, TUNNEL_PROTOCOL_VERSION);
  view.setUint8(1, FrameType[frame.type]);
  view.setUint32(2, frame.id >>> 0);
  view.setUint8(6, (frame.fromCaller ? FLAG_FROM_CALLER : 0) | (end ? FLAG_END : 0));
  view.setUint32(7, header.byteLength);
  view.setUint32(11, body.byteLength);
  out.set(header, FRAME_PREFIX_BYTES);
  out.set(body, FRAME_PREFIX_BYTES + header.byteLength);
  return out;
}

function parseHeader<T>(schema: z.ZodType<T>, bytes: Uint8Array): { ok: true; value: T } | { ok: false } {
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(bytes));
  } catch {
    return { ok: false };
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false };
}

/** The byte length of the frame starting at `bytes` (from its prefix), or undefined when the prefix is cut short. */
export function frameLength(bytes: Uint8Array): number | undefined {
  if (bytes.byteLength < FRAME_PREFIX_BYTES) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, FRAME_PREFIX_BYTES);
  return FRAME_PREFIX_BYTES + view.getUint32(7) + view.getUint32(11);
}

/** Decodes exactly one frame; never throws: malformed input yields `{ok: false, reason}`. */
export function decodeFrame(bytes: Uint8Array): DecodeResult {
  if (bytes.byteLength < FRAME_PREFIX_BYTES) return { ok: false, reason: 'short' };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint8(0) !== TUNNEL_PROTOCOL_VERSION) return { ok: false, reason: 'version' };
  const type = view.getUint8(1);
  const id = view.getUint32(2);
  const flags = view.getUint8(6);
  if ((flags & ~(FLAG_FROM_CALLER | FLAG_END)) !== 0) return { ok: false, reason: 'flags' };
  const fromCaller = (flags & FLAG_FROM_CALLER) !== 0;
  const end = (flags & FLAG_END) !== 0;
  const headerLength = view.getUint32(7);
  if (headerLength > MAX_HEADER_BYTES) return { ok: false, reason: 'header_length' };
  if (FRAME_PREFIX_BYTES + headerLength + view.getUint32(11) !== bytes.byteLength)
    return { ok: false, reason: 'length' };
  const header = bytes.subarray(FRAME_PREFIX_BYTES, FRAME_PREFIX_BYTES + headerLength);
  const rest = bytes.subarray(FRAME_PREFIX_BYTES + headerLength);
  const base = { id, fromCaller };
  const bad = (reason: string): DecodeResult => ({ ok: false, reason });
  if (end && type !== FrameType.request && type !== FrameType.response) return bad('flags');
  if (rest.byteLength > MAX_CHUNK_BYTES) return bad('chunk_size');
  const inline = { ...(rest.byteLength > 0 ? { body: rest } : {}), ...(end ? { end } : {}) };
  switch (type) {
    case FrameType.data:
      if (headerLength !== 0) return bad('data_header');
      return { ok: true, frame: { ...base, type: 'data', body: rest } };
    case FrameType.end:
      if (headerLength !== 0 || rest.byteLength !== 0) return bad('end_payload');
      return { ok: true, frame: { ...base, type: 'end' } };
    case FrameType.request: {
      if (!fromCaller) return bad('request_from_callee');
      const h = parseHeader(RequestHeaderSchema, header);
      if (!h.ok) return bad('request_header');
      if (!h.value.body && (rest.byteLength > 0 || end)) return bad('body_without_flag');
      return { ok: true, frame: { ...base, type: 'request', header: h.value, ...inline } };
    }
    case FrameType.response: {
      if (fromCaller) return bad('response_from_caller');
      const h = parseHeader(ResponseHeaderSchema, header);
      return h.ok
        ? { ok: true, frame: { ...base, type: 'response', header: h.value, ...inline } }
        : bad('response_header');
    }
    default:
      break;
  }
  if (rest.byteLength !== 0) return bad('trailing_bytes');
  switch (type) {
    case FrameType.credit: {
      const h = parseHeader(CreditHeaderSchema, header);
      return h.ok ? { ok: true, frame: { ...base, type: 'credit', header: h.value } } : bad('credit_header');
    }
    case FrameType.cancel: {
      if (!fromCaller) return bad('cancel_from_callee');
      const h = parseHeader(CancelHeaderSchema, header);
      return h.ok ? { ok: true, frame: { ...base, type: 'cancel', header: h.value } } : bad('cancel_header');
    }
    case FrameType.error: {
      const h = parseHeader(ErrorHeaderSchema, header);
      return h.ok ? { ok: true, frame: { ...base, type: 'error', header: h.value } } : bad('error_header');
    }
    default:
      return bad('type');
  }
}
