import { intParam, ReportStreamSchema, timeParam, ValidationError } from '@tether/shared';
import { decodeCursor, encodeCursor } from './report-cursor.js';
import type { ReportQuery, ReportStore } from './report-store.js';
import { CSV_HEADER, csvLine, reportView } from './report-views.js';

/** Default and maximum page sizes of `GET /api/v1/reports` (exports allow larger pages). */
export const REPORT_PAGE = { default: 100, max: 1000, exportDefault: 10_000, exportMax: 100_000 } as const;

/** Parses the query of `GET /api/v1/reports`; throws a ValidationError naming the bad parameter. */
export function parseReportQuery(q: Partial<Record<string, string>>, isExport: boolean): ReportQuery {
  const max = isExport ? REPORT_PAGE.exportMax : REPORT_PAGE.max;
  const limit = intParam(q.limit, 'limit') ?? (isExport ? REPORT_PAGE.exportDefault : REPORT_PAGE.default);
  if (limit < 1 || limit > max) throw new ValidationError(`invalid limit ${limit}: expected 1-${max}`);
  if (q.stream !== undefined && !ReportStreamSchema.safeParse(q.stream).success)
    throw new ValidationError(`invalid stream "${q.stream.slice(0, 140)}"`);
  const query: ReportQuery = { limit };
  if (q.agent) query.agent = q.agent;
  if (q.stream) query.stream = q.stream;
  const since = timeParam(q.since, 'since');
  const until = timeParam(q.until, 'until');
  if (since !== undefined) query.since = since;
  if (until !== undefined) query.until = until;
  if (q.cursor) query.afterId = decodeCursor(q.cursor);
  return query;
}

/** The formats of `GET /api/v1/reports`. */
export const REPORT_FORMATS = ['json', 'ndjson', 'csv'] as const;
/** One format. */
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** A page of reports in `format`: the body, its content type and the next cursor (null on the last page). */
export function reportPage(
  reports: ReportStore,
  query: ReportQuery,
  format: ReportFormat,
): { body: string; contentType: string; nextCursor: string | null } {
  // One row more than asked tells whether another page exists.
  const rows = reports.query({ ...query, limit: query.limit + 1 });
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  const nextCursor = rows.length > query.limit && last ? encodeCursor(last.id) : null;
  switch (format) {
    case 'json':
      return {
        body: JSON.stringify({ reports: page.map(reportView), nextCursor }),
        contentType: 'application/json',
        nextCursor,
      };
    case 'ndjson':
      return {
        body: page.map((r) => `${JSON.stringify(reportView(r))}\n`).join(''),
        contentType: 'application/x-ndjson',
        nextCursor,
      };
    case 'csv':
      return {
        body: CSV_HEADER + page.map(csvLine).join(''),
        contentType: 'text/csv; charset=utf-8',
        nextCursor,
      };
    default: {
      const unreachable: never = format;
      return unreachable;
    }
  }
}
