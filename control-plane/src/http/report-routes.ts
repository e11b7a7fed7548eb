import type { Hono } from 'hono';
import { ReportStreamSchema, ValidationError, type Clock } from '@tether/shared';
import { decodeCursor, encodeCursor } from '../reports/report-cursor.js';
import { intParam, timeParam } from './query-params.js';
import type { ReportQuery, ReportStore } from '../reports/report-store.js';
import { CSV_HEADER, csvLine, reportView, streamView } from '../reports/report-views.js';

/** Default and maximum page sizes of `GET /api/v1/reports` (exports allow larger pages). */
export const REPORT_PAGE = { default: 100, max: 1000, exportDefault: 10_000, exportMax: 100_000 } as const;

/** Parses the query of `GET /api/v1/reports`; throws a ValidationError naming the bad parameter. */
export function parseReportQuery(q: Record<string, string>, isExport: boolean): ReportQuery {
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

/** Registers the report endpoints: the paged query with its NDJSON/CSV export, and the per-stream summary. */
export function registerReportRoutes(app: Hono, deps: { reports: ReportStore; clock: Clock }): void {
  app.get('/api/v1/reports', (c) => {
    const q = c.req.query();
    const format = q.format ?? 'json';
    if (format !== 'json' && format !== 'ndjson' && format !== 'csv')
      throw new ValidationError(`invalid format "${format}": expected json, ndjson or csv`);
    const query = parseReportQuery(q, format !== 'json');
    // One row more than asked tells whether another page exists.
    const rows = deps.reports.query({ ...query, limit: query.limit + 1 });
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    const nextCursor = rows.length > query.limit && last ? encodeCursor(last.id) : null;
    if (format === 'json') return c.json({ reports: page.map(reportView), nextCursor });
    const headers: Record<string, string> = nextCursor ? { 'x-next-cursor': nextCursor } : {};
    if (format === 'ndjson') {
      const body = page.map((r) => `${JSON.stringify(reportView(r))}\n`).join('');
      return c.body(body, 200, { ...headers, 'content-type': 'application/x-ndjson' });
    }
    return c.body(CSV_HEADER + page.map(csvLine).join(''), 200, {
      ...headers,
      'content-type': 'text/csv; charset=utf-8',
    });
  });

  app.get('/api/v1/streams', (c) => {
    const now = deps.clock.now();
    return c.json({ streams: deps.reports.streams().map((s) => streamView(s, now)) });
  });
}
