import type { JSX } from 'preact';
import { Empty, Panel, TrafficCells } from '../components/ui.js';
import { Link } from '../router.js';
import { routes, stats } from '../store.js';

/** Every service: where its instances are, and its traffic in the last interval. */
export function Services(): JSX.Element {
  const byName = new Map<string, { active: number; stale: number; central: boolean; sites: Set<string> }>();
  for (const r of routes.value.values()) {
    const s = byName.get(r.service) ?? { active: 0, stale: 0, central: false, sites: new Set<string>() };
    if (r.state === 'active') s.active++;
    else s.stale++;
    if (r.originKind === 'central') s.central = true;
    s.sites.add(r.site);
    byName.set(r.service, s);
  }
  const traffic = new Map((stats.value?.perService ?? []).map((p) => [p.service, p]));
  const names = [...byName.keys()].sort();
  return (
    <div class="page">
      <Panel title={`Services (${names.length})`}>
        {names.length === 0 ? (
          <Empty>
            No service yet: agents advertise theirs; central ones come from the config or POST
            /api/v1/services.
          </Empty>
        ) : (
          <table class="table" data-testid="services-table">
            <thead>
              <tr>
                <th>service</th>
                <th>kind</th>
                <th>instances</th>
                <th>sites</th>
                <th>calls/s</th>
                <th>errors/s</th>
                <th>in flight</th>
                <th>mean</th>
              </tr>
            </thead>
            <tbody>
              {names.map((name) => {
                const s = byName.get(name)!;
                const t = traffic.get(name);
                return (
                  <tr key={name}>
                    <td>
                      <Link href={`/services/${encodeURIComponent(name)}`}>{name}</Link>
                    </td>
                    <td>{s.central ? 'central' : 'edge'}</td>
                    <td>
                      {s.active}
                      {s.stale ? <span class="muted"> +{s.stale} stale</span> : null}
                    </td>
                    <td>{[...s.sites].sort().join(', ')}</td>
                    <TrafficCells tick={t} />
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </Panel>
    </div>
  );
}
