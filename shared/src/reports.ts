import { z } from 'zod';
import { PROTOCOL_VERSION } from './messages.js';

/** The most reports one `report-batch` may carry. */
export const MAX_REPORTS_PER_BATCH = 256;
/** The most body bytes one `report-batch` should carry (one larger report still travels alone). */
export const MAX_BATCH_BYTES = 256 * 1024;
/**
 * The most bytes one encoded `report-batch` may take on the wire: under the broker's default packet limit
 * (256 KiB) with room for the topic and headers. One report (at most 64 KiB, JSON-escaped at most twice) fits.
 */
export const MAX_BATCH_WIRE_BYTES = 240 * 1024;
/** The largest body of one report, in bytes. */
export const MAX_REPORT_BYTES = 64 * 1024;

/** A stream name: letters, digits, `.`, `_`, `-`; 1-128 characters, starting with a letter or digit. */
export const ReportStreamSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'a stream name: [A-Za-z0-9][A-Za-z0-9._-]{0,127}');

const v = z.literal(PROTOCOL_VERSION);
const seq = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** One report on the wire: JSON text as is, any other content type base64-encoded (`base64: true`). */
export const WireReportSchema = z.strictObject({
  stream: ReportStreamSchema,
  seq,
  at: z.number().int().min(0),
  contentType: z.string().min(1).max(256),
  body: z.string().max(Math.ceil((MAX_REPORT_BYTES * 4) / 3) + 4),
  base64: z.literal(true).optional(),
});

/** Agent -> hub on `reportsTopic`: reports from the outbox, in outbox order, each with its stream's seq. Strict. */
export const ReportBatchSchema = z.strictObject({
  v,
  type: z.literal('report-batch'),
  batch: z.string().min(1).max(64),
  reports: z.array(WireReportSchema).min(1).max(MAX_REPORTS_PER_BATCH),
  /** Per stream, the highest seq the agent dropped (policy drop-oldest): the hub stops waiting for those. */
  dropped: z
    .array(z.strictObject({ stream: ReportStreamSchema, through: seq }))
    .max(MAX_REPORTS_PER_BATCH)
    .optional(),
});

/** An inclusive range of seqs of one stream. */
export const SeqRangeSchema = z.object({ stream: ReportStreamSchema, from: seq, to: seq });

/**
 * Hub -> agent on `reportsAckTopic`: these seqs are committed (or were already); sent only after the commit. Not
 * strict, like every hub -> agent message (messages.ts, "Strictness").
 */
export const ReportAckSchema = z.object({
  v,
  type: z.literal('report-ack'),
  batch: z.string().min(1).max(64),
  acks: z.array(SeqRangeSchema).max(MAX_REPORTS_PER_BATCH),
  /**
   * The highest protocol version the hub speaks (absent: 1). From 2 the agent may send compressed batches on this
   * connection (`report-frame.ts`).
   */
  protocol: z.number().int().min(1).max(255).optional(),
});

/** Everything an agent may publish on its reports topic. */
export const ReportsUpMessageSchema = z.discriminatedUnion('type', [ReportBatchSchema]);
/** Everything the hub may publish on an agent's reports-ack topic. */
export const ReportsDownMessageSchema = z.discriminatedUnion('type', [ReportAckSchema]);

export type WireReport = z.infer<typeof WireReportSchema>;
export type ReportBatch = z.infer<typeof ReportBatchSchema>;
export type SeqRange = z.infer<typeof SeqRangeSchema>;
export type ReportAck = z.infer<typeof ReportAckSchema>;
export type ReportsUpMessage = z.infer<typeof ReportsUpMessageSchema>;
export type ReportsDownMessage = z.infer<typeof ReportsDownMessageSchema>;

/** Per stream, the inclusive seq range a batch covers (what the hub acknowledges after committing it). */
export function ackRanges(reports: readonly { stream: string; seq: number }[]): SeqRange[] {
  const ranges = new Map<string, SeqRange>();
  for (const r of reports) {
    const range = ranges.get(r.stream);
    if (!range) ranges.set(r.stream, { stream: r.stream, from: r.seq, to: r.seq });
    else {
      range.from = Math.min(range.from, r.seq);
      range.to = Math.max(range.to, r.seq);
    }
  }
  return [...ranges.values()];
}

/** True when `type` names JSON (application/json or any `+json`), whose bodies travel as text. */
export function isJsonContentType(type: string): boolean {
  const base = type.split(';')[0]!.trim().toLowerCase();
  return base === 'application/json' || base.endsWith('+json');
}
