import { intParam, timeParam, ValidationError } from '@tether/shared';
import type { AuditEntryView, AuditPageView } from '../api/api-schemas.js';
import { decodeCursor, encodeCursor } from '../reports/report-cursor.js';
import {
  AUDIT_KINDS,
  type AuditKind,
  type AuditLog,
  type AuditQuery,
  type AuditRecord,
} from './audit-log.js';

/** Page sizes of `GET /api/v1/audit`. */
export const AUDIT_PAGE = { default: 100, max: 1000 } as const;
const CURSOR_PREFIX = 'a1:';

function auditView(r: AuditRecord): AuditEntryView {
  return {
    id: r.id,
    at: new Date(r.at).toISOString(),
    lastAt: new Date(r.lastAt).toISOString(),
    kind: r.kind,
    agentId: r.agentId,
    actor: r.actor,
    source: r.source,
    count: r.count,
    detail: r.detail,
  };
}

/** Parses `?agent=&kind=&actor=&since=&order=&limit=&cursor=`; throws a ValidationError naming the bad parameter. */
export function parseAuditQuery(q: Partial<Record<string, string>>): AuditQuery {
  const limit = intParam(q.limit, 'limit') ?? AUDIT_PAGE.default;
  if (limit < 1 || limit > AUDIT_PAGE.max)
    throw new ValidationError(`invalid limit ${limit}: expected 1-${AUDIT_PAGE.max}`);
  const query: AuditQuery = { limit };
  if (q.agent) query.agentId = q.agent;
  if (q.actor) query.actor = q.actor;
  if (q.order !== undefined) {
    if (q.order !== 'asc' && q.order !== 'desc')
      throw new ValidationError(`invalid order "${q.order.slice(0, 16)}": expected asc or desc`);
    query.order = q.order;
  }
  if (q.kind) {
    if (!(AUDIT_KINDS as readonly string[]).includes(q.kind))
      throw new ValidationError(
        `invalid kind "${q.kind.slice(0, 64)}": expected one of ${AUDIT_KINDS.join(', ')}`,
      );
    query.kind = q.kind as AuditKind;
  }
  const since = timeParam(q.since, 'since');
  if (since !== undefined) query.since = since;
  if (q.cursor) query.afterId = decodeCursor(q.cursor, CURSOR_PREFIX);
  return query;
}

/** A page of the audit log (`{entries, nextCursor}`, in the query's order), including events still buffered. */
export function auditPage(audit: AuditLog, query: AuditQuery): AuditPageView {
  // Buffered (coalesced) events are written first, so the answer includes everything recorded until now.
  audit.flush();
  const rows = audit.list({ ...query, limit: query.limit + 1 });
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  const nextCursor = rows.length > query.limit && last ? encodeCursor(last.id, CURSOR_PREFIX) : null;
  return { entries: page.map(auditView), nextCursor };
}
