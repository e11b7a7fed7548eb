import type { ControlPlane, Edge, JsonResponse } from './tether.js';

/** One report as `GET /api/v1/reports` returns it. */
export interface ReportRow {
  id: number;
  agent: string;
  stream: string;
  seq: number;
  /** When the hub committed it, epoch ms. */
  receivedAt: number;
  data: unknown;
}

/** One row of `GET /api/v1/streams`. */
export interface StreamRow {
  agent: string;
  stream: string;
  count: number;
  lastSeq: number;
}

/** The outbox part of the agent's `GET /v1/status`. */
export interface OutboxStatus {
  depth: number;
  bytes: number;
  oldestAgeMs: number | null;
  dropped: number;
}

/** POSTs NDJSON lines to the agent's report API; returns status and body. */
export async function postReports(
  apiBase: string,
  stream: string,
  lines: readonly unknown[],
): Promise<JsonResponse<{ firstSeq?: number; lastSeq?: number; error?: { code: string; message: string } }>> {
  const res = await fetch(`${apiBase}/v1/reports/${encodeURIComponent(stream)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body: lines.map((l) => JSON.stringify(l)).join('\n'),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as never) : {} };
}

/** Every stored report of an agent, following the cursor page by page. */
export async function allReports(cp: ControlPlane, agent: string): Promise<ReportRow[]> {
  const out: ReportRow[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 10_000; page++) {
    const q: string = `/api/v1/reports?agent=${agent}&limit=1000${cursor ? `&cursor=${cursor}` : ''}`;
    const res = await cp.api<{ reports: ReportRow[]; nextCursor: string | null }>(q);
    if (res.status !== 200) throw new Error(`GET ${q}: ${res.status}`);
    out.push(...res.body.reports);
    cursor = res.body.nextCursor;
    if (!cursor) return out;
  }
  throw new Error('too many pages');
}

/** The count stored per stream of one agent. */
export async function storedCounts(cp: ControlPlane, agent: string): Promise<Record<string, number>> {
  const res = await cp.api<{ streams: StreamRow[] }>('/api/v1/streams');
  return Object.fromEntries(
    res.body.streams.filter((s) => s.agent === agent).map((s) => [s.stream, s.count]),
  );
}

/** The agent's outbox status. */
export async function outboxOf(edge: Edge): Promise<OutboxStatus> {
  return (await edge.api<{ outbox: OutboxStatus }>('/v1/status')).body.outbox;
}

/** Groups reports by stream, each in stored (id) order. */
export function byStream(reports: readonly ReportRow[]): Map<string, ReportRow[]> {
  const map = new Map<string, ReportRow[]>();
  for (const r of [...reports].sort((a, b) => a.id - b.id)) {
    const list = map.get(r.stream) ?? [];
    list.push(r);
    map.set(r.stream, list);
  }
  return map;
}
