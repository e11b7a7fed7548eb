import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import { DEFAULT_MAX_PAYLOAD, decode, type Decoded } from './messages.js';
import { ReportsUpMessageSchema, type ReportsUpMessage } from './reports.js';

/**
 * A compressed report batch (protocol version 2) on an agent's reports topic: a 3-byte header, then the batch's
 * JSON (the same `report-batch` message, `v: 1`) compressed. The first byte, 0, never starts JSON text, so a hub
 * tells frames from plain JSON by it; a version 1 hub refuses a frame as not JSON, which is why agents send frames
 * only to hubs that offered version 2.
 *
 * | byte | meaning                                   |
 * | ---- | ----------------------------------------- |
 * | 0    | 0x00 (frame marker)                       |
 * | 1    | protocol version of the frame format (2)  |
 * | 2    | codec: `b` (0x62) = brotli                |
 */
const MARKER = 0x00;
/** The protocol version that introduced report frames. */
export const REPORT_FRAME_VERSION = 2;
const BROTLI = 0x62;
const HEADER_BYTES = 3;

/** Compresses a batch's JSON into a report frame (brotli at `quality`, 0-11). */
export function compressReportBatch(json: string, quality: number): Buffer {
  const text = Buffer.from(json, 'utf8');
  const body = brotliCompressSync(text, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: quality,
      [constants.BROTLI_PARAM_SIZE_HINT]: text.byteLength,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
    },
  });
  return Buffer.concat([Buffer.from([MARKER, REPORT_FRAME_VERSION, BROTLI]), body]);
}

/** True when a reports-topic payload is a compressed frame rather than JSON. */
export function isReportFrame(payload: Uint8Array): boolean {
  return payload.byteLength > 0 && payload[0] === MARKER;
}

/** How a hub reads its agents' reports topic: whether it takes frames (it offered version 2) and the size cap. */
export interface ReportDecodeOptions {
  frames: boolean;
  /** The most bytes a payload may inflate to (default DEFAULT_MAX_PAYLOAD). */
  maxBytes?: number;
}

/**
 * Decodes one payload of an agent's reports topic: a frame is inflated (at most `maxBytes`, so a small frame
 * cannot expand without bound) and then validated exactly like plain JSON. Never throws.
 */
export function decodeReportsUp(
  payload: Uint8Array,
  options: ReportDecodeOptions,
): Decoded<ReportsUpMessage> & { compressed: boolean } {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_PAYLOAD;
  if (!isReportFrame(payload) || !options.frames)
    return { ...decode(ReportsUpMessageSchema, payload, maxBytes), compressed: false };
  const refuse = (error: string): Decoded<ReportsUpMessage> & { compressed: boolean } => ({
    ok: false,
    reason: 'frame',
    error,
    compressed: true,
  });
  if (payload.byteLength <= HEADER_BYTES) return refuse('report frame without a body');
  if (payload[1] !== REPORT_FRAME_VERSION) return refuse(`report frame of unknown version ${payload[1]}`);
  if (payload[2] !== BROTLI) return refuse(`report frame of unknown codec ${payload[2]}`);
  let text: Buffer;
  try {
    text = brotliDecompressSync(payload.subarray(HEADER_BYTES), { maxOutputLength: maxBytes });
  } catch (err) {
    const tooLarge = (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
    return tooLarge
      ? {
          ok: false,
          reason: 'too_large',
          error: `report frame inflates past ${maxBytes} bytes`,
          compressed: true,
        }
      : refuse(`report frame does not inflate: ${(err as Error).message}`);
  }
  return { ...decode(ReportsUpMessageSchema, text, maxBytes), compressed: true };
}
