import { isJsonContentType } from '@tether/shared';
import type { StoredReport, StreamStats } from './report-store.js';

/** A report as the API shows it: JSON bodies parsed, text as text, anything else base64. */
export interface ReportView {
  id: number;
  agent: string;
  stream: string;
  seq: number;
  at: number;
  receivedAt: number;
  contentType: string;
  data: unknown;
  encoding?: 'base64';
}

/** The API view of one stored report. */
export function reportView(r: StoredReport): ReportView {
  const base = { id: r.id, agent: r.agent, stream: r.stream, seq: r.seq, at: r.at, receivedAt: r.receivedAt };
  const contentType = r.contentType;
  if (isJsonContentType(contentType)) {
    try {
      return { ...base, contentType, data: JSON.parse(r.body.toString('utf8')) as unknown };
    } catch {
      // Stored JSON always parses; fall through to bytes if it somehow does not.
    }
  }
  if (contentType.toLowerCase().startsWith('text/'))
    return { ...base, contentType, data: r.body.toString('utf8') };
  return { ...base, contentType, data: r.body.toString('base64'), encoding: 'base64' };
}

/** The header line of the CSV export. */
export const CSV_HEADER = 'id,agent,stream,seq,at,receivedAt,contentType,encoding,data\n';

function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV line (RFC 4180 quoting); `data` is JSON text, plain text or base64 as `encoding` says. */
export function csvLine(r: StoredReport): string {
  const view = reportView(r);
  const data =
    view.encoding === 'base64' || (typeof view.data === 'string' && !isJsonContentType(r.contentType))
      ? (view.data as string)
      : JSON.stringify(view.data);
  return `${[view.id, view.agent, view.stream, view.seq, view.at, view.receivedAt, view.contentType, view.encoding ?? (isJsonContentType(r.contentType) ? 'json' : 'text'), data].map(csvField).join(',')}\n`;
}

/** A stream's row in `GET /api/v1/streams`: lagMs is how long its newest report took from edge to hub. */
export function streamView(s: StreamStats, now: number): StreamStats & { lagMs: number; idleMs: number } {
  return {
    ...s,
    lagMs: Math.max(0, s.lastReceivedAt - s.lastAt),
    idleMs: Math.max(0, now - s.lastReceivedAt),
  };
}
