import type { WireReport } from '@tether/shared';
import type { OutboxRow } from './outbox-types.js';

/** Bounds of one batch: at most `maxReports` reports and, past the first, at most `maxBytes` body bytes. */
export interface BatchLimits {
  maxReports: number;
  maxBytes: number;
}

/** The longest prefix of `rows` (outbox order) within the limits; never empty when `rows` is not. */
export function planBatch<T extends { body: { length: number } }>(
  rows: readonly T[],
  limits: BatchLimits,
): T[] {
  const out: T[] = [];
  let bytes = 0;
  for (const row of rows) {
    if (out.length >= limits.maxReports) break;
    if (out.length > 0 && bytes + row.body.length > limits.maxBytes) break;
    out.push(row);
    bytes += row.body.length;
  }
  return out;
}

/** The wire form of an outbox row: JSON bodies as text, anything else base64. */
export function toWireReport(row: OutboxRow, isJson: (contentType: string) => boolean): WireReport {
  return isJson(row.contentType)
    ? {
        stream: row.stream,
        seq: row.seq,
        at: row.at,
        contentType: row.contentType,
        body: row.body.toString('utf8'),
      }
    : {
        stream: row.stream,
        seq: row.seq,
        at: row.at,
        contentType: row.contentType,
        body: row.body.toString('base64'),
        base64: true,
      };
}
