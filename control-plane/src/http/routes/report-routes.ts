import { z } from 'zod';
import { defineRoute, ReportStreamSchema, type Clock, type RouteBase } from '@tether/shared';
import type { WebSocket } from 'ws';
import type { ReportFeed } from '../../reports/report-feed.js';
import { parseReportQuery, REPORT_FORMATS, reportPage } from '../../reports/report-query.js';
import type { ReportStore } from '../../reports/report-store.js';
import { reportView, streamView } from '../../reports/report-views.js';
import type { Access } from '../../auth/access-policy.js';
import { ReportViewSchema, StreamViewSchema } from '../../api/api-schemas.js';
import type { WebSocketEndpoints } from '../websockets.js';
import { BAD, json, list, type ApiRoute } from './api-route.js';

/** What the report routes read. */
export interface ReportRoutesDeps {
  reports: ReportStore;
  feed: ReportFeed;
  clock: Clock;
  sockets: WebSocketEndpoints;
}

/** A live-tail client further behind than this many bytes is dropped rather than buffered without bound. */
const LIVE_MAX_BUFFERED = 8 * 1024 * 1024;

const ReportsQuery = z.strictObject({
  agent: z.string().describe('agent id').optional(),
  stream: z.string().describe('stream name').optional(),
  since: z.string().describe('accept time from (epoch ms or ISO)').optional(),
  until: z.string().describe('accept time until (epoch ms or ISO)').optional(),
  limit: z
    .string()
    .describe('page size: 1-1000 (default 100); exports up to 100000 (default 10000)')
    .optional(),
  cursor: z.string().describe('the previous page’s nextCursor').optional(),
  format: z.enum(REPORT_FORMATS).describe('json (default), ndjson or csv').optional(),
});

const LiveQuery = z.strictObject({
  stream: ReportStreamSchema.describe('only this stream').optional(),
  agent: z.string().describe('only this agent').optional(),
});

function tail(deps: ReportRoutesDeps, ws: WebSocket, query: z.infer<typeof LiveQuery>): void {
  const stop = deps.feed.subscribe((report) => {
    if ((query.stream && report.stream !== query.stream) || (query.agent && report.agent !== query.agent))
      return;
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > LIVE_MAX_BUFFERED) {
      ws.close(1013, 'too far behind');
      return;
    }
    ws.send(JSON.stringify(reportView(report)));
  });
  ws.on('close', stop);
  ws.on('error', stop);
}

/** Stored reports (paged, or exported as NDJSON/CSV), per-stream figures, and the live tail (read). */
export function reportRoutes(deps: ReportRoutesDeps): ApiRoute[] {
  const live = deps.sockets.endpoint({ tetherProtocol: true }, (ws, _req, query) =>
    tail(deps, ws, query as z.infer<typeof LiveQuery>),
  );
  const liveRoute: RouteBase<Access> = {
    path: '/api/v1/reports/live',
    access: 'read',
    tag: 'reports',
    summary: 'WebSocket: live tail, one JSON frame per committed report',
    description: 'Upgrade with subprotocol `tether.v1` (a `bearer.<token>` subprotocol may carry the token).',
    query: LiveQuery,
    responses: { 101: json('switching to WebSocket; each frame is one report', ReportViewSchema), ...BAD },
  };
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/reports',
      access: 'read',
      tag: 'reports',
      summary: 'Stored reports in commit order, paged; or an NDJSON/CSV export',
      query: ReportsQuery,
      responses: {
        200: json(
          'a page (exports: the next cursor in x-next-cursor)',
          z.object({ reports: z.array(ReportViewSchema), nextCursor: z.string().nullable() }),
        ),
        ...BAD,
      },
      handle: (c, { query }) => {
        const format = query.format ?? 'json';
        const page = reportPage(deps.reports, parseReportQuery(query, format !== 'json'), format);
        const headers: Record<string, string> = { 'content-type': page.contentType };
        if (format !== 'json' && page.nextCursor) headers['x-next-cursor'] = page.nextCursor;
        return c.body(page.body, 200, headers);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/streams',
      access: 'read',
      tag: 'reports',
      summary: 'Per (agent, stream): count, bytes, last seq, lag and idle time',
      responses: { 200: json('streams', list('streams', StreamViewSchema)) },
      handle: (c) => {
        const now = deps.clock.now();
        return c.json({ streams: deps.reports.streams().map((s) => streamView(s, now)) });
      },
    }),
    { ...liveRoute, serve: 'websocket', method: 'get', handle: live.accept },
  ];
}
