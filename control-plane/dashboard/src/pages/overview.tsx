import type { JSX } from 'preact';
import { Badge, Empty, Panel, Sparkline, Stat, TrafficCells } from '../components/ui.js';
import { duration, rate } from '../format.js';
import { Link } from '../router.js';
import { agentCounts, recentEvents, routes, stats, statsHistory } from '../store.js';
import type { ControlPlaneEvent } from '../types.js';

function describe(e: ControlPlaneEvent): { what: string; who: string | null } {
  switch (e.type) {
    case 'route-created':
    case 'route-updated':
    case 'route-deleted':
      return { what: `${e.type.slice(6)} route ${e.route.service} (${e.route.state})`, who: e.route.origin };
    case 'agent-online':
    case 'agent-offline':
      return { what: e.type === 'agent-online' ? 'connected' : 'disconnected', who: e.agentId };
    case 'agent-updated':
      if (e.agent.revokedAt) return { what: 'revoked', who: e.agent.id };
      return { what: `updated (${e.agent.site ?? '—'}, ${e.agent.strategy ?? '—'})`, who: e.agent.id };
    case 'policy-updated':
      return { what: `policy of ${e.service} set (${e.policySource})`, who: null };
    case 'stats':
      return { what: 'stats', who: null };
  }
}

/** The operator's first look: what is connected, what moves, what is broken. */
export function Overview(): JSX.Element {
  const s = stats.value;
  const counts = agentCounts.value;
  const history = statsHistory.value;
  let active = 0;
  let stale = 0;
  const services = new Set<string>();
  for (const r of routes.value.values()) {
    services.add(r.service);
    if (r.state === 'active') active++;
    else stale++;
  }
  const errorsNow = s ? s.calls.errorsPerSecond : 0;
  return (
    <div class="page">
      <div class="stats">
        <Stat label="agents online" value={counts.online} tone="good" testId="agents-online" />
        <Stat
          label="agents stale"
          value={counts.stale}
          tone={counts.stale ? 'warn' : undefined}
          hint="offline, routes kept"
          testId="agents-stale"
        />
        <Stat
          label="agents offline"
          value={counts.offline}
          tone={counts.offline ? 'bad' : undefined}
          testId="agents-offline"
        />
        <Stat label="agents revoked" value={counts.revoked} hint="cut off for good" testId="agents-revoked" />
        <Stat
          label="services"
          value={s?.services ?? services.size}
          hint={`${active} active / ${stale} stale routes`}
        />
        <Stat
          label="calls"
          value={rate(s?.calls.perSecond ?? 0)}
          hint={`${s?.calls.inFlight ?? 0} in flight`}
          testId="calls-rate"
        />
        <Stat
          label="errors"
          value={rate(errorsNow)}
          tone={errorsNow > 0 ? 'bad' : undefined}
          hint={`${s?.calls.errors ?? 0} since start`}
        />
        <Stat label="reports" value={rate(s?.reports.perSecond ?? 0)} hint="committed at the hub" />
        <Stat
          label="report lag"
          value={duration(s?.reports.maxLagMs ?? null)}
          hint="edge accept → hub commit, max"
        />
      </div>
      <div class="grid2">
        <Panel title="Traffic (last 3 min)">
          <div class="sparks">
            <div>
              <Sparkline values={history.map((h) => h.calls.perSecond)} label="calls per second" />
              <span>calls/s</span>
            </div>
            <div>
              <Sparkline values={history.map((h) => h.calls.errorsPerSecond)} label="errors per second" />
              <span>errors/s</span>
            </div>
            <div>
              <Sparkline values={history.map((h) => h.reports.perSecond)} label="reports per second" />
              <span>reports/s</span>
            </div>
            <div>
              <Sparkline values={history.map((h) => h.tunnels.queued)} label="tunnel queue" />
              <span>tunnel queue</span>
            </div>
          </div>
          {s?.perService.length ? (
            <table class="table compact">
              <thead>
                <tr>
                  <th>service</th>
                  <th>calls/s</th>
                  <th>errors/s</th>
                  <th>in flight</th>
                  <th>mean</th>
                </tr>
              </thead>
              <tbody>
                {s.perService.map((p) => (
                  <tr key={p.service}>
                    <td>
                      <Link href={`/services/${encodeURIComponent(p.service)}`}>{p.service}</Link>
                    </td>
                    <TrafficCells tick={p} />
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <Empty>No calls in the last interval.</Empty>
          )}
        </Panel>
        <Panel title="Recent events">
          {recentEvents.value.length ? (
            <ul class="events">
              {recentEvents.value.slice(0, 30).map(({ at, event }, i) => {
                const d = describe(event);
                return (
                  <li key={`${at}-${i}`}>
                    <time>{new Date(at).toLocaleTimeString()}</time>
                    {d.who ? (
                      d.who === 'central' ? (
                        <b>central</b>
                      ) : (
                        <Link href={`/agents/${encodeURIComponent(d.who)}`}>{d.who}</Link>
                      )
                    ) : null}{' '}
                    {event.type === 'agent-online' ? (
                      <Badge value="online" />
                    ) : event.type === 'agent-offline' ? (
                      <Badge value="offline" />
                    ) : null}{' '}
                    {d.what}
                  </li>
                );
              })}
            </ul>
          ) : (
            <Empty>Waiting for events…</Empty>
          )}
        </Panel>
      </div>
    </div>
  );
}
