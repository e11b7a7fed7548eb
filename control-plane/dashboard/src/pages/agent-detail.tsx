import { useEffect, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import { api } from '../api.js';
import { Badge, Empty, Panel } from '../components/ui.js';
import { ago, bytes, drain, duration, labels, when } from '../format.js';
import { Link, navigate } from '../router.js';
import { isAdmin } from '../session.js';
import { agentState, agents, onEvent, routes, topologyVersion } from '../store.js';
import type { ControlPlaneEvent, TimedEvent, Topology } from '../types.js';

function concerns(e: ControlPlaneEvent, id: string): boolean {
  switch (e.type) {
    case 'route-created':
    case 'route-updated':
    case 'route-deleted':
      return e.route.origin === id;
    case 'agent-online':
    case 'agent-offline':
      return e.agentId === id;
    case 'agent-updated':
      return e.agent.id === id;
    default:
      return false;
  }
}

function summary(e: ControlPlaneEvent): string {
  switch (e.type) {
    case 'route-created':
    case 'route-updated':
    case 'route-deleted':
      return `${e.type}: ${e.route.service} → ${e.route.address} (${e.route.state})`;
    case 'agent-updated':
      if (e.agent.revokedAt) return `revoked on ${when(e.agent.revokedAt)}`;
      return `agent-updated: site ${e.agent.site ?? '—'}, strategy ${e.agent.strategy ?? '—'}, version ${e.agent.version ?? '—'}`;
    default:
      return e.type;
  }
}

/** Revoke and rotate (admins). Rotation is picked up by the agent without reconnecting. */
function AdminActions(props: { id: string; revoked: boolean }): JSX.Element | null {
  const [message, setMessage] = useState<string | null>(null);
  if (!isAdmin.value || props.revoked) return null;
  const run = async (what: 'revoke' | 'rotate'): Promise<void> => {
    const question =
      what === 'revoke'
        ? `Revoke agent ${props.id}? It is disconnected and can no longer connect.`
        : `Rotate the secret of ${props.id}? The old secret stops working.`;
    if (!confirm(question)) return;
    try {
      const path = `/api/v1/agents/${encodeURIComponent(props.id)}${what === 'rotate' ? '/rotate' : ''}`;
      await api<unknown>(path, { method: what === 'revoke' ? 'DELETE' : 'POST' });
      if (what === 'revoke') navigate('/agents');
      else setMessage('Rotation requested: the agent takes its new secret without reconnecting.');
    } catch (err) {
      setMessage(`Failed: ${(err as Error).message}`);
    }
  };
  return (
    <div class="actions">
      <button class="danger" onClick={() => void run('revoke')}>
        Revoke
      </button>
      <button onClick={() => void run('rotate')}>Rotate secret</button>
      {message ? (
        <p class="note" role="status">
          {message}
        </p>
      ) : null}
    </div>
  );
}

/** One agent: identity, routes it shares, central services it sees, recent events. */
export function AgentDetail(props: { id: string }): JSX.Element {
  const { id } = props;
  const agent = agents.value.get(id);
  const [events, setEvents] = useState<TimedEvent[]>([]);
  const [sees, setSees] = useState<string[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let stop = false;
    api<{ events: TimedEvent[] }>(`/api/v1/agents/${encodeURIComponent(id)}/events`).then(
      (r) => !stop && setEvents(r.events),
      (err: Error) => !stop && setError(err.message),
    );
    const off = onEvent((e) => {
      if (concerns(e, id)) setEvents((prev) => [{ at: Date.now(), event: e }, ...prev].slice(0, 50));
    });
    return () => {
      stop = true;
      off();
    };
  }, [id]);

  const version = topologyVersion.value;
  useEffect(() => {
    let stop = false;
    const timer = setTimeout(() => {
      api<Topology>(`/api/v1/topology?agent=${encodeURIComponent(id)}`).then(
        (t) => !stop && setSees(t.edges.find((e) => e.id === id)?.sees ?? []),
        () => undefined,
      );
    }, 150);
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, [id, version]);

  if (!agent)
    return (
      <div class="page">
        <Empty>{error ?? `Agent ${id} is not known (yet).`}</Empty>
      </div>
    );
  const own = [...routes.value.values()].filter((r) => r.origin === id);
  return (
    <div class="page">
      <Panel
        title={
          <>
            Agent {id} <Badge value={agentState(agent)} />
          </>
        }
        actions={<AdminActions id={id} revoked={agent.revokedAt !== null} />}
      >
        {agent.revokedAt ? (
          <p class="revoked-note" data-testid="revoked-note">
            Revoked on {when(agent.revokedAt)}: refused at every connect, its routes withdrawn, sent nothing.
            To bring this edge back, enroll it again under a new id.
          </p>
        ) : null}
        <dl class="facts">
          <dt>site</dt>
          <dd>{agent.site ?? '—'}</dd>
          <dt>strategy</dt>
          <dd>
            {agent.strategy ?? '—'}
            {agent.fixedStrategy ? (
              <span class="muted"> (fixed by the hub: {agent.fixedStrategy})</span>
            ) : null}
          </dd>
          <dt>version</dt>
          <dd>{agent.version ?? '—'}</dd>
          <dt>last seen</dt>
          <dd title={agent.lastSeen ?? ''}>{ago(agent.lastSeen)}</dd>
          <dt>labels</dt>
          <dd>{labels(agent.labels)}</dd>
          <dt>outbox</dt>
          <dd>
            {agent.outbox
              ? `${agent.outbox.depth} reports, ${bytes(agent.outbox.bytes)}, oldest ${duration(agent.outbox.oldestAgeMs)}, dropped ${agent.outbox.dropped}${drain(agent.outbox) ? `, ${drain(agent.outbox)}` : ''} (as of ${ago(agent.outbox.at)})`
              : 'no digest received yet'}
          </dd>
          <dt>sees (central)</dt>
          <dd>
            {agent.revokedAt
              ? 'nothing (revoked)'
              : sees === null
                ? '…'
                : sees.length
                  ? sees.join(', ')
                  : 'no central service'}
          </dd>
        </dl>
      </Panel>
      <Panel title={`Routes it shares (${own.length})`}>
        {own.length ? (
          <table class="table">
            <thead>
              <tr>
                <th>state</th>
                <th>service</th>
                <th>address</th>
                <th>source</th>
                <th>site</th>
                <th>metric</th>
                <th>labels</th>
              </tr>
            </thead>
            <tbody>
              {own.map((r) => (
                <tr key={r.key}>
                  <td>
                    <Badge value={r.state} />
                  </td>
                  <td>
                    <Link href={`/services/${encodeURIComponent(r.service)}`}>{r.service}</Link>
                  </td>
                  <td class="mono">{r.address}</td>
                  <td data-testid="route-source">{r.source ?? '—'}</td>
                  <td>{r.site}</td>
                  <td>{r.metric}</td>
                  <td class="muted">{labels(r.labels)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <Empty>
            {agent.revokedAt
              ? 'Revoked: its routes were withdrawn.'
              : 'This agent advertises nothing (strategy none, or no local service).'}
          </Empty>
        )}
      </Panel>
      <Panel title="Recent events">
        {events.length ? (
          <ul class="events">
            {events.map((e, i) => (
              <li key={`${e.at}-${i}`}>
                <time>{new Date(e.at).toLocaleTimeString()}</time> {summary(e.event)}
              </li>
            ))}
          </ul>
        ) : (
          <Empty>No event since the control plane started.</Empty>
        )}
      </Panel>
    </div>
  );
}
