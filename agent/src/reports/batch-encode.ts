import {
  DEFAULT_MAX_PAYLOAD,
  MAX_BATCH_WIRE_BYTES,
  PROTOCOL_VERSION,
  compressReportBatch,
  encode,
  isJsonContentType,
  type ReportBatch,
} from '@tether/shared';
import { toWireReport } from './batch-plan.js';
import type { OutboxRow } from './outbox-types.js';
import { truncatePriorityBatch } from './stream-priority.js';

/** How to encode a batch: compressed (brotli at `quality`) or plain JSON, and what the outbox dropped per stream. */
export interface EncodeOptions {
  compress: boolean;
  quality: number;
  droppedThrough: (stream: string) => number;
}

/** A batch ready to publish: the rows per priority class it holds and its payload. */
export interface EncodedBatch {
  perClass: OutboxRow[][];
  payload: Buffer | string;
  /** Its size on the wire. */
  wireBytes: number;
  /** The report body bytes it carries. */
  bodyBytes: number;
}

/** The `report-batch` message of `rows`, with the drop marks of their streams (policy drop-oldest). */
export function batchMessage(
  batch: string,
  rows: readonly OutboxRow[],
  droppedThrough: (stream: string) => number,
): ReportBatch {
  const message: ReportBatch = {
    v: PROTOCOL_VERSION,
    type: 'report-batch',
    batch,
    reports: rows.map((row) => toWireReport(row, isJsonContentType)),
  };
  const dropped = [...new Set(rows.map((r) => r.stream))]
    .map((stream) => ({ stream, through: droppedThrough(stream) }))
    .filter((d) => d.through > 0);
  if (dropped.length > 0) message.dropped = dropped;
  return message;
}

/**
 * Encodes a planned batch, halving it (keeping priority order) while it is over the broker's packet limit on the
 * wire or, compressed, would inflate past what a hub accepts (base64 and JSON escaping can take it there).
 */
export function encodeBatch(batch: string, planned: OutboxRow[][], options: EncodeOptions): EncodedBatch {
  let perClass = planned;
  for (;;) {
    const rows = perClass.flat();
    const json = encode(batchMessage(batch, rows, options.droppedThrough));
    const jsonBytes = Buffer.byteLength(json);
    const payload = options.compress ? compressReportBatch(json, options.quality) : json;
    const wireBytes = typeof payload === 'string' ? jsonBytes : payload.byteLength;
    const fits = wireBytes <= MAX_BATCH_WIRE_BYTES && jsonBytes <= DEFAULT_MAX_PAYLOAD;
    if (fits || rows.length <= 1) {
      const bodyBytes = rows.reduce((n, r) => n + r.body.length, 0);
      return { perClass, payload, wireBytes, bodyBytes };
    }
    perClass = truncatePriorityBatch(perClass, Math.ceil(rows.length / 2));
  }
}
