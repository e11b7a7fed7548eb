import type { JSX } from 'preact';
import { Badge, Empty, Legend, Panel } from '../components/ui.js';
import { ago, bytes, drain, labels, when } from '../format.js';
import { AGENT_STATES } from '../../../src/api/agent-state.js';
import { Link } from '../router.js';
import { UpgradesPanel } from '../components/upgrades-panel.js';
import { agentState, agents, routes, stats } from '../store.js';

/** Every agent: status, site, strategy, version, last seen, routes, outbox; and the fleet's upgrade rollouts. */
export function Agents(): JSX.Element {
  const now = stats.value?.at ?? Date.now();
  const list = [...agents.value.values()];
  const routeCounts = new Map<string, { active: number; stale: number }>();
  for (const r of routes.value.values()) {
    const c = routeCounts.get(r.origin) ?? { active: 0, stale: 0 };
    if (r.state === 'active') c.active++;
    else c.stale++;
    routeCounts.set(r.origin, c);
  }
  return (
    <div class="page">
      <Panel title={`Agents (${list.length})`}>
        {list.length === 0 ? (
          <Empty>No agent registered yet: `tether-cp agent add ID` or POST /api/v1/agents.</Empty>
        ) : (
          <table class="table" data-testid="agents-table">
            <thead>
              <tr>
                <th>status</th>
                <th>agent</th>
                <th>site</th>
                <th>strategy</th>
                <th>version</th>
                <th>last seen</th>
                <th>routes</th>
                <th>outbox</th>
                <th>labels</th>
              </tr>
            </thead>
            <tbody>
              {list.map((a) => {
                const c = routeCounts.get(a.id) ?? { active: 0, stale: 0 };
                return (
                  <tr key={a.id} data-agent={a.id}>
                    <td>
                      <Badge value={agentState(a)} />
                      {a.revokedAt ? (
                        <div class="muted small" data-testid="revoked-at">
                          {when(a.revokedAt)}
                        </div>
                      ) : null}
                    </td>
                    <td>
                      <Link href={`/agents/${encodeURIComponent(a.id)}`}>{a.id}</Link>
                    </td>
                    <td>{a.site ?? '—'}</td>
                    <td>
                      {a.strategy ?? '—'}
                      {a.fixedStrategy ? <span class="muted"> (fixed: {a.fixedStrategy})</span> : null}
                    </td>
                    <td>{a.version ?? '—'}</td>
                    <td title={a.lastSeen ?? ''}>{ago(a.lastSeen, now)}</td>
                    <td>
                      {c.active}
                      {c.stale ? <span class="muted"> +{c.stale} stale</span> : null}
                    </td>
                    <td title={a.outbox ? `as of ${a.outbox.at}` : 'no digest yet'}>
                      {a.outbox ? `${a.outbox.depth} (${bytes(a.outbox.bytes)})` : '—'}
                      {a.outbox && drain(a.outbox) ? <span class="muted"> {drain(a.outbox)}</span> : null}
                    </td>
                    <td class="muted">{labels(a.labels)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        <Legend values={AGENT_STATES} testId="agents-legend" />
      </Panel>
      <UpgradesPanel />
    </div>
  );
}
