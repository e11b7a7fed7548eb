import { useEffect, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import { api } from '../api.js';
import { PolicyEditor } from '../components/policy-editor.js';
import { Badge, Empty, Legend, Panel, VisibleTo } from '../components/ui.js';
import { duration, labels } from '../format.js';
import { Link } from '../router.js';
import { isAdmin } from '../session.js';
import { onEvent } from '../store.js';
import type { ServiceDetail as Detail } from '../types.js';
import { INSTANCE_STATUSES } from '../../../src/api/instance-status.js';

/** The edges advertising this centrally defined service without `allowEdgeInstances`: their routes take no calls. */
function Conflicts(props: { detail: Detail }): JSX.Element | null {
  const { conflicts } = props.detail;
  if (conflicts.length === 0) return null;
  return (
    <div class="note bad" data-testid="service-conflicts">
      <p>
        Name conflict: the hub defines <b>{props.detail.name}</b>, and these edges advertise it too. Their
        instances take no calls (for central and edge callers alike) unless the policy lists them in{' '}
        <span class="mono">allowEdgeInstances</span>.
      </p>
      <ul>
        {conflicts.map((c) => (
          <li key={c.agent}>
            <Link href={`/agents/${encodeURIComponent(c.agent)}`}>{c.agent}</Link>{' '}
            <span class="muted">since {new Date(c.since).toLocaleString()}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

/**
 * One service: its effective policy (editable by admins), its name conflicts and its instances with health,
 * calls in flight and latency. Instance health has no event of its own: the page reloads when a stats event
 * shows calls of this service, or a route or policy event names it.
 */
export function ServiceDetail(props: { name: string }): JSX.Element {
  const { name } = props;
  const [detail, setDetail] = useState<Detail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    let stop = false;
    api<Detail>(`/api/v1/services/${encodeURIComponent(name)}`).then(
      (d) => {
        if (stop) return;
        setDetail(d);
        setError(null);
      },
      (err: Error) => !stop && setError(err.message),
    );
    return () => {
      stop = true;
    };
  }, [name, version]);

  useEffect(
    () =>
      onEvent((e) => {
        const mine =
          (e.type === 'stats' && e.perService.some((p) => p.service === name)) ||
          ((e.type === 'route-created' || e.type === 'route-updated' || e.type === 'route-deleted') &&
            e.route.service === name) ||
          (e.type === 'policy-updated' && e.service === name);
        if (mine) setVersion((v) => v + 1);
      }),
    [name],
  );

  if (!detail)
    return (
      <div class="page">
        <Empty>{error ?? 'Loading…'}</Empty>
      </div>
    );
  const conflicting = new Set(detail.conflicts.map((c) => c.agent));
  return (
    <div class="page">
      <Panel
        title={
          <>
            Service {name} <span class="muted">policy: {detail.policySource}</span>
          </>
        }
      >
        {detail.central ? (
          <p>
            Central service at <span class="mono">{detail.central.url}</span>
            {', visible to '}
            <VisibleTo value={detail.central.visibleTo} />
          </p>
        ) : null}
        <Conflicts detail={detail} />
        <table class="table" data-testid="instances-table">
          <thead>
            <tr>
              <th>status</th>
              <th>route</th>
              <th>origin</th>
              <th>source</th>
              <th>site</th>
              <th>address</th>
              <th>priority</th>
              <th>in flight</th>
              <th>ok</th>
              <th>failed</th>
              <th>p50</th>
              <th>p99</th>
              <th>labels</th>
            </tr>
          </thead>
          <tbody>
            {detail.instances.map((i) => (
              <tr key={i.key}>
                <td>
                  <Badge
                    value={i.status}
                    title={i.ejectedUntil ? `ejected until ${i.ejectedUntil}` : undefined}
                  />
                </td>
                <td>
                  <Badge value={i.state} />
                  {conflicting.has(i.origin) ? (
                    <Badge value="conflict" title="kept out of selection: see the name conflict above" />
                  ) : null}
                </td>
                <td>
                  {i.origin === 'central' ? (
                    'central'
                  ) : (
                    <Link href={`/agents/${encodeURIComponent(i.origin)}`}>{i.origin}</Link>
                  )}
                </td>
                <td>{i.source ?? (i.origin === 'central' ? 'central' : '—')}</td>
                <td>{i.site}</td>
                <td class="mono">{i.address}</td>
                <td>{i.priority}</td>
                <td>{i.inflight}</td>
                <td>{i.successes}</td>
                <td class={i.failures ? 'bad' : ''}>{i.failures}</td>
                <td>{duration(i.latencyMs.p50)}</td>
                <td>{duration(i.latencyMs.p99)}</td>
                <td class="muted">{labels(i.labels)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <Legend values={INSTANCE_STATUSES} testId="instances-legend" />
      </Panel>
      <Panel title="Route selection policy">
        <PolicyEditor
          service={name}
          policy={detail.policy}
          source={detail.policySource}
          readOnly={!isAdmin.value}
          onSaved={() => setVersion((v) => v + 1)}
        />
      </Panel>
    </div>
  );
}
