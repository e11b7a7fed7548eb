import { useEffect, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import { api } from '../api.js';
import { Badge, Empty, Legend, Panel, VisibleTo } from '../components/ui.js';
import { when } from '../format.js';
import { Link, navigate } from '../router.js';
import { AGENT_STATES } from '../../../src/api/agent-state.js';
import { topologyVersion } from '../store.js';
import type { Topology as TopologyView } from '../types.js';

type Edge = TopologyView['edges'][number];

/** `site · strategy`, with a dash for what the edge has not told yet. */
const siteLine = (e: Edge): string => `${e.site ?? '—'} · ${e.strategy ?? '—'}`;
/** The services an edge shares with the hub. */
const shares = (e: Edge): string => (e.shares.length ? e.shares.map((s) => s.service).join(', ') : 'nothing');
/** The central services the hub sends an edge. */
const sees = (e: Edge): string =>
  e.state === 'revoked' ? 'nothing (revoked)' : e.sees.length ? e.sees.join(', ') : 'no central service';

const W = 900;
const H = 580;

/** How many edges the picture shows at most (one page of `GET /api/v1/topology`). */
const TOPOLOGY_EDGES = 200;

/**
 * The hub and its edges: each edge a node around the hub, with the services it shares (upward) and the central
 * services it sees (downward). Edges never see each other's services: there is no edge-to-edge line. Reloaded
 * when an event changes routes or agents (debounced), never on a timer.
 */
export function Topology(): JSX.Element {
  // One page of edges (the API pages them): a picture of more would not be readable anyway.
  const [view, setView] = useState<TopologyView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const version = topologyVersion.value;
  useEffect(() => {
    let stop = false;
    const timer = setTimeout(() => {
      api<TopologyView>(`/api/v1/topology?limit=${TOPOLOGY_EDGES}`).then(
        (t) => !stop && setView(t),
        (err: Error) => !stop && setError(err.message),
      );
    }, 200);
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, [version]);

  if (!view)
    return (
      <div class="page">
        <Empty>{error ?? 'Loading…'}</Empty>
      </div>
    );
  const cx = W / 2;
  const cy = H / 2;
  const n = view.edges.length;
  // Room for four lines of labels above the top edge and below the bottom one.
  const r = Math.min(W, H) / 2 - 96;
  const nodes = view.edges.map((e, i) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(1, n);
    const y = cy + r * Math.sin(angle);
    // Labels go above an edge in the upper half and below the others, never across its line to the hub.
    return { e, x: cx + r * Math.cos(angle), y, label: y < cy - 1 ? y - 76 : y + 46 };
  });
  return (
    <div class="page">
      <Panel
        title={`Topology: hub (${view.hub.site}) and ${view.nextCursor ? `the first ${n}` : n} edge${n === 1 ? '' : 's'}`}
      >
        <svg class="topology" viewBox={`0 0 ${W} ${H}`} role="img" aria-label="hub and edges">
          {nodes.map(({ e, x, y }) => (
            <line key={`l-${e.id}`} x1={cx} y1={cy} x2={x} y2={y} class={`link link-${e.state}`} />
          ))}
          <g class="hub">
            <circle cx={cx} cy={cy} r={58} />
            <text x={cx} y={cy - 4} text-anchor="middle" class="title">
              hub
            </text>
            <text x={cx} y={cy + 14} text-anchor="middle" class="sub">
              {view.hub.services.length} central service{view.hub.services.length === 1 ? '' : 's'}
            </text>
          </g>
          {nodes.map(({ e, x, y, label }) => (
            <g
              key={e.id}
              class={`edge edge-${e.state}`}
              data-edge={e.id}
              onClick={() => navigate(`/agents/${encodeURIComponent(e.id)}`)}
            >
              <circle cx={x} cy={y} r={30} />
              <text x={x} y={y + 4} text-anchor="middle" class="title">
                {e.id.length > 14 ? `${e.id.slice(0, 13)}…` : e.id}
              </text>
              <text x={x} y={label} text-anchor="middle" class={`state state-${e.state}`}>
                {e.state === 'revoked' ? `revoked ${when(e.revokedAt)}` : e.state}
              </text>
              <text x={x} y={label + 14} text-anchor="middle" class="sub">
                {siteLine(e)}
              </text>
              <text x={x} y={label + 28} text-anchor="middle" class="shares">
                ↑ {shares(e)}
              </text>
              <text x={x} y={label + 42} text-anchor="middle" class="sees">
                ↓ {sees(e)}
              </text>
            </g>
          ))}
        </svg>
        <ul class="topology-list" data-testid="topology-list">
          {view.edges.map((e) => (
            <li key={e.id} data-edge={e.id}>
              <div>
                <Badge value={e.state} /> <Link href={`/agents/${encodeURIComponent(e.id)}`}>{e.id}</Link>{' '}
                <span class="muted">{siteLine(e)}</span>
                {e.revokedAt ? <span class="muted"> · revoked {when(e.revokedAt)}</span> : null}
              </div>
              <div class="shares">↑ {shares(e)}</div>
              <div class="sees">↓ {sees(e)}</div>
            </li>
          ))}
        </ul>
        <p class="legend">
          ↑ shares with the hub (its own services) · ↓ central services the hub sends it. The hub never passes
          one edge's services to another edge.
        </p>
        <Legend values={AGENT_STATES} />
      </Panel>
      <Panel title="Central services">
        {view.hub.services.length ? (
          <table class="table">
            <thead>
              <tr>
                <th>service</th>
                <th>url</th>
                <th>visible to</th>
              </tr>
            </thead>
            <tbody>
              {view.hub.services.map((s) => (
                <tr key={s.name}>
                  <td>{s.name}</td>
                  <td class="mono">{s.url}</td>
                  <td>
                    <VisibleTo value={s.visibleTo} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <Empty>No central service.</Empty>
        )}
      </Panel>
    </div>
  );
}
