import { useEffect, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import { api } from '../api.js';
import { Empty, Panel } from '../components/ui.js';
import { when } from '../format.js';
import { Link } from '../router.js';
import { isAdmin } from '../session.js';
import type { AuditPageView } from '../types.js';
import { AUDIT_KINDS } from '../../../src/api/audit-kinds.js';

const PAGE = 50;

interface Filters {
  kind: string;
  actor: string;
  agent: string;
}

function query(f: Filters, cursor: string | null): string {
  const q = new URLSearchParams({ order: 'desc', limit: String(PAGE) });
  if (f.kind) q.set('kind', f.kind);
  if (f.actor.trim()) q.set('actor', f.actor.trim());
  if (f.agent.trim()) q.set('agent', f.agent.trim());
  if (cursor) q.set('cursor', cursor);
  return `/api/v1/audit?${q.toString()}`;
}

/** `k=v, k=v` of an audit row's detail (values as JSON when not strings). */
function detailText(detail: Record<string, unknown> | null): string {
  if (!detail) return '';
  return Object.entries(detail)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
}

/** The audit log for admins: newest first, filtered by kind, actor and agent, paged by cursor. */
export function Audit(): JSX.Element {
  const [draft, setDraft] = useState<Filters>({ kind: '', actor: '', agent: '' });
  const [filters, setFilters] = useState<Filters>(draft);
  const [rows, setRows] = useState<AuditPageView['entries']>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  const load = async (f: Filters, cursor: string | null): Promise<void> => {
    setLoading(true);
    try {
      const page = await api<AuditPageView>(query(f, cursor));
      setRows((prev) => (cursor ? [...prev, ...page.entries] : page.entries));
      setNext(page.nextCursor);
      setError(null);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    if (isAdmin.value) void load(filters, null);
  }, [filters]);

  if (!isAdmin.value)
    return (
      <div class="page">
        <Empty>The audit log is for admin tokens; this session is not one.</Empty>
      </div>
    );
  const apply = (e: Event): void => {
    e.preventDefault();
    setFilters({ ...draft });
  };
  return (
    <div class="page">
      <Panel title="Audit log (newest first)">
        <form class="filters" onSubmit={apply} data-testid="audit-filters">
          <label>
            kind
            <select
              value={draft.kind}
              data-testid="audit-kind"
              onChange={(e) => setDraft({ ...draft, kind: e.currentTarget.value })}
            >
              <option value="">any</option>
              {AUDIT_KINDS.map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
          </label>
          <label>
            actor
            <input
              value={draft.actor}
              placeholder="token:ops, cli, apply…"
              data-testid="audit-actor"
              onInput={(e) => setDraft({ ...draft, actor: e.currentTarget.value })}
            />
          </label>
          <label>
            agent
            <input
              value={draft.agent}
              placeholder="agent id"
              onInput={(e) => setDraft({ ...draft, agent: e.currentTarget.value })}
            />
          </label>
          <button class="primary" type="submit" data-testid="audit-apply">
            Filter
          </button>
        </form>
        {error ? (
          <p class="bad" role="alert">
            {error}
          </p>
        ) : null}
        {rows.length === 0 && !loading ? (
          <Empty>No audit row matches.</Empty>
        ) : (
          <table class="table" data-testid="audit-table">
            <thead>
              <tr>
                <th>when</th>
                <th>kind</th>
                <th>actor</th>
                <th>agent</th>
                <th>source</th>
                <th>count</th>
                <th>detail</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id} data-kind={r.kind}>
                  <td class="nowrap" title={r.count > 1 ? `last ${when(r.lastAt)}` : undefined}>
                    {when(r.at)}
                  </td>
                  <td class="mono nowrap">{r.kind}</td>
                  <td class="nowrap">{r.actor ?? '—'}</td>
                  <td class="nowrap">
                    {r.agentId ? (
                      <Link href={`/agents/${encodeURIComponent(r.agentId)}`}>{r.agentId}</Link>
                    ) : (
                      '—'
                    )}
                  </td>
                  <td class="mono">{r.source ?? '—'}</td>
                  <td>{r.count}</td>
                  <td class="mono detail">{detailText(r.detail)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <div class="actions">
          {next ? (
            <button data-testid="audit-more" disabled={loading} onClick={() => void load(filters, next)}>
              Older rows
            </button>
          ) : rows.length ? (
            <span class="muted">End of the log.</span>
          ) : null}
        </div>
      </Panel>
    </div>
  );
}
