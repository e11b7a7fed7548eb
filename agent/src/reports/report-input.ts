import {
  formatZodError,
  MAX_REPORT_BYTES,
  ReportStreamSchema,
  ValidationError,
  isJsonContentType,
} from '@tether/shared';
import { ReportTooLargeError } from './outbox-errors.js';
import type { NewReport } from './outbox-types.js';

/** The most reports one NDJSON request may carry. */
export const MAX_REPORTS_PER_REQUEST = 10_000;
/** The largest request body the agent API reads, in bytes. */
export const MAX_REQUEST_BYTES = 16 * 1024 * 1024;

const NDJSON = new Set(['application/x-ndjson', 'application/ndjson', 'application/jsonl']);

/** Checks a stream name; throws a ValidationError saying what is allowed. */
export function parseStream(stream: string): string {
  const parsed = ReportStreamSchema.safeParse(stream);
  if (!parsed.success)
    throw new ValidationError(`invalid stream "${stream.slice(0, 140)}": ${formatZodError(parsed.error)}`);
  return parsed.data;
}

function jsonReport(text: string, where: string): NewReport {
  try {
    JSON.parse(text);
  } catch (err) {
    throw new ValidationError(`${where} is not JSON: ${(err as Error).message}`);
  }
  const body = Buffer.from(text.trim(), 'utf8');
  if (body.length > MAX_REPORT_BYTES)
    throw new ReportTooLargeError(`${where} has ${body.length} bytes, more than ${MAX_REPORT_BYTES}`);
  return { contentType: 'application/json', body };
}

/**
 * Turns one request body into reports, or throws (nothing is stored then): JSON is one report, NDJSON one per
 * non-empty line (every line must be JSON), anything else one report of bytes with its content type kept.
 */
export function parseReportBody(contentType: string | undefined, bytes: Buffer): NewReport[] {
  const type = (contentType ?? 'application/octet-stream').trim() || 'application/octet-stream';
  const base = type.split(';')[0]!.trim().toLowerCase();
  if (bytes.length === 0) throw new ValidationError('empty body: a report needs content');
  if (bytes.length > MAX_REQUEST_BYTES)
    throw new ReportTooLargeError(`body of ${bytes.length} bytes exceeds ${MAX_REQUEST_BYTES}`);
  if (NDJSON.has(base)) {
    const reports: NewReport[] = [];
    const lines = bytes.toString('utf8').split('\n');
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      reports.push(jsonReport(line, `line ${i + 1}`));
    });
    if (reports.length === 0) throw new ValidationError('NDJSON body has no reports');
    if (reports.length > MAX_REPORTS_PER_REQUEST)
      throw new ReportTooLargeError(
        `${reports.length} reports exceed ${MAX_REPORTS_PER_REQUEST} per request`,
      );
    return reports;
  }
  if (isJsonContentType(type)) return [jsonReport(bytes.toString('utf8'), 'body')];
  if (bytes.length > MAX_REPORT_BYTES)
    throw new ReportTooLargeError(`report of ${bytes.length} bytes exceeds ${MAX_REPORT_BYTES}`);
  return [{ contentType: type.slice(0, 256), body: bytes }];
}
