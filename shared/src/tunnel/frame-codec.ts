import { type z } from 'zod';
import {
  CancelHeaderSchema,
  ErrorHeaderSchema,
  FLAG_END,
  FLAG_FROM_CALLER,
  FRAME_PREFIX_BYTES,
  FrameType,
  MAX_CHUNK_BYTES,
  MAX_HEADER_BYTES,
  TUNNEL_PROTOCOL_VERSION,
  type Frame,
} from './frame-format.js';
import { checkCreditHeader, checkRequestHeader, checkResponseHeader } from './hot-headers.js';
import { AcceptHeaderSchema, GrantHeaderSchema, OpenHeaderSchema } from './stream-headers.js';

/** The result of decoding: a frame, or the reason the bytes were refused. */
export type DecodeResult =
  | { ok: true; frame: Frame }
  /**
   * `refused`: the id of a REQUEST (or, with `stream`, an OPEN) whose header was invalid, so that the receiver can
   * answer it with an ERROR (a RESET).
   */
  | { ok: false; reason: string; refused?: number; stream?: boolean };

const decoder = new TextDecoder('utf-8', { fatal: true });
const TYPE_NUMBERS: Record<Frame['type'], number> = FrameType;

/** The big-endian uint32 at `at` (the caller checked the bounds). */
function readU32(b: Uint8Array, at: number): number {
  return b[at]! * 0x1000000 + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!);
}

/** Writes `n` as a big-endian uint32 at `at`. */
function writeU32(b: Uint8Array, at: number, n: number): void {
  b[at] = n >>> 24;
  b[at + 1] = (n >>> 16) & 0xff;
  b[at + 2] = (n >>> 8) & 0xff;
  b[at + 3] = n & 0xff;
}

/**
 * Encodes one frame as its prefix and JSON header (`head`, one allocation, the JSON written in place) and its body
 * bytes, not copied: `body` (one chunk) or `parts` (an inline body given as chunks), `bodyLength` bytes in all.
 * Whoever puts frames together copies each once, into the message.
 */
export function encodeFrameParts(frame: Frame): {
  head: Uint8Array;
  body: Uint8Array | undefined;
  parts: readonly Uint8Array[] | undefined;
  bodyLength: number;
} {
  const json = 'header' in frame ? JSON.stringify(frame.header) : '';
  const headerLength = json.length === 0 ? 0 : Buffer.byteLength(json);
  const inline = frame.type === 'request' || frame.type === 'response';
  const parts = inline ? frame.parts : undefined;
  const body = parts
    ? undefined
    : inline || frame.type === 'data' || frame.type === 'bytes'
      ? frame.body
      : undefined;
  let bodyLength = body?.byteLength ?? 0;
  if (parts) for (const p of parts) bodyLength += p.byteLength;
  const head = Buffer.allocUnsafe(FRAME_PREFIX_BYTES + headerLength);
  head[0] = TUNNEL_PROTOCOL_VERSION;
  head[1] = TYPE_NUMBERS[frame.type];
  writeU32(head, 2, frame.id >>> 0);
  head[6] = (frame.fromCaller ? FLAG_FROM_CALLER : 0) | (inline && frame.end === true ? FLAG_END : 0);
  writeU32(head, 7, headerLength);
  writeU32(head, 11, bodyLength);
  if (headerLength > 0) head.write(json, FRAME_PREFIX_BYTES, 'utf8');
  if (bodyLength === 0) return { head, body: undefined, parts: undefined, bodyLength };
  return { head, body, parts, bodyLength };
}

/** Encodes one frame to its binary form. */
export function encodeFrame(frame: Frame): Uint8Array {
  const { head, body, parts, bodyLength } = encodeFrameParts(frame);
  if (bodyLength === 0) return head;
  const out = Buffer.allocUnsafe(head.byteLength + bodyLength);
  out.set(head, 0);
  let at = head.byteLength;
  for (const p of parts ?? [body!]) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** Checks a parsed JSON header: a zod schema, or for the headers of every call its hand-written twin (hot-headers.ts). */
type HeaderCheck<T> = z.ZodType<T> | ((json: unknown) => T | undefined);

function parseHeader<T>(check: HeaderCheck<T>, bytes: Uint8Array): { ok: true; value: T } | { ok: false } {
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(bytes));
  } catch {
    return { ok: false };
  }
  if (typeof check === 'function') {
    const value = check(json);
    return value === undefined ? { ok: false } : { ok: true, value };
  }
  const parsed = check.safeParse(json);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false };
}

/** The byte length of the frame starting at `at` in `bytes` (from its prefix), or undefined when the prefix is cut short. */
export function frameLength(bytes: Uint8Array, at = 0): number | undefined {
  if (bytes.byteLength - at < FRAME_PREFIX_BYTES) return undefined;
  return FRAME_PREFIX_BYTES + readU32(bytes, at + 7) + readU32(bytes, at + 11);
}

/** Decodes exactly one frame; never throws: malformed input yields `{ok: false, reason}`. */
export function decodeFrame(bytes: Uint8Array): DecodeResult {
  if (bytes.byteLength < FRAME_PREFIX_BYTES) return bad('short');
  if (bytes[0] !== TUNNEL_PROTOCOL_VERSION) return bad('version');
  const type = bytes[1]!;
  const id = readU32(bytes, 2);
  const flags = bytes[6]!;
  if ((flags & ~(FLAG_FROM_CALLER | FLAG_END)) !== 0) return bad('flags');
  const fromCaller = (flags & FLAG_FROM_CALLER) !== 0;
  const end = (flags & FLAG_END) !== 0;
  const headerLength = readU32(bytes, 7);
  if (headerLength > MAX_HEADER_BYTES) return bad('header_length');
  if (FRAME_PREFIX_BYTES + headerLength + readU32(bytes, 11) !== bytes.byteLength) return bad('length');
  if (end && type !== FrameType.request && type !== FrameType.response) return bad('flags');
  if (bytes.byteLength - FRAME_PREFIX_BYTES - headerLength > MAX_CHUNK_BYTES) return bad('chunk_size');
  if (type === FrameType.data || type === FrameType.bytes) {
    // The hot path (every chunk of a body or stream): one view, no header.
    if (headerLength !== 0) return bad('data_header');
    const body = bytes.subarray(FRAME_PREFIX_BYTES);
    return { ok: true, frame: { id, fromCaller, type: type === FrameType.data ? 'data' : 'bytes', body } };
  }
  const header = bytes.subarray(FRAME_PREFIX_BYTES, FRAME_PREFIX_BYTES + headerLength);
  const rest = bytes.subarray(FRAME_PREFIX_BYTES + headerLength);
  switch (type) {
    case FrameType.end:
    case FrameType.shut:
      if (headerLength !== 0 || rest.byteLength !== 0) return bad('end_payload');
      return { ok: true, frame: { id, fromCaller, type: type === FrameType.end ? 'end' : 'shut' } };
    case FrameType.request: {
      if (!fromCaller) return bad('request_from_callee');
      const h = parseHeader(checkRequestHeader, header);
      if (!h.ok) return { ok: false, reason: 'request_header', refused: id };
      if (!h.value.body && (rest.byteLength > 0 || end)) return bad('body_without_flag');
      const frame: Frame = { id, fromCaller, type: 'request', header: h.value };
      return { ok: true, frame: withInline(frame, rest, end) };
    }
    case FrameType.response: {
      if (fromCaller) return bad('response_from_caller');
      const h = parseHeader(checkResponseHeader, header);
      if (!h.ok) return bad('response_header');
      const frame: Frame = { id, fromCaller, type: 'response', header: h.value };
      return { ok: true, frame: withInline(frame, rest, end) };
    }
    default:
      break;
  }
  if (rest.byteLength !== 0) return bad('trailing_bytes');
  switch (type) {
    case FrameType.credit: {
      const h = parseHeader(checkCreditHeader, header);
      return h.ok
        ? { ok: true, frame: { id, fromCaller, type: 'credit', header: h.value } }
        : bad('credit_header');
    }
    case FrameType.cancel: {
      if (!fromCaller) return bad('cancel_from_callee');
      const h = parseHeader(CancelHeaderSchema, header);
      return h.ok
        ? { ok: true, frame: { id, fromCaller, type: 'cancel', header: h.value } }
        : bad('cancel_header');
    }
    case FrameType.error:
    case FrameType.reset: {
      const h = parseHeader(ErrorHeaderSchema, header);
      if (!h.ok) return bad(type === FrameType.error ? 'error_header' : 'reset_header');
      return {
        ok: true,
        frame: { id, fromCaller, type: type === FrameType.error ? 'error' : 'reset', header: h.value },
      };
    }
    default:
      return decodeStreamHead(type, id, fromCaller, header);
  }
}

/** OPEN, ACCEPT and GRANT: the stream frames with a header and no body. */
function decodeStreamHead(type: number, id: number, fromCaller: boolean, header: Uint8Array): DecodeResult {
  switch (type) {
    case FrameType.open: {
      if (!fromCaller) return bad('open_from_acceptor');
      const h = parseHeader(OpenHeaderSchema, header);
      return h.ok
        ? { ok: true, frame: { id, fromCaller, type: 'open', header: h.value } }
        : { ok: false, reason: 'open_header', refused: id, stream: true };
    }
    case FrameType.accept: {
      if (fromCaller) return bad('accept_from_opener');
      const h = parseHeader(AcceptHeaderSchema, header);
      return h.ok
        ? { ok: true, frame: { id, fromCaller, type: 'accept', header: h.value } }
        : bad('accept_header');
    }
    case FrameType.grant: {
      const h = parseHeader(GrantHeaderSchema, header);
      return h.ok
        ? { ok: true, frame: { id, fromCaller, type: 'grant', header: h.value } }
        : bad('grant_header');
    }
    default:
      return bad('type');
  }
}

function bad(reason: string): DecodeResult {
  return { ok: false, reason };
}

/** Sets a REQUEST's or RESPONSE's inline body and END flag (left out when empty / unset). */
function withInline<F extends Extract<Frame, { type: 'request' | 'response' }>>(
  frame: F,
  rest: Uint8Array,
  end: boolean,
): F {
  if (rest.byteLength > 0) frame.body = rest;
  if (end) frame.end = true;
  return frame;
}
