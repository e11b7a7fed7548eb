import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { RolloutViewBody } from '../../../src/api/upgrade-schemas.js';
import { api } from '../api.js';
import { bytes, when } from '../format.js';
import { Badge, Empty, Panel } from './ui.js';

/** How often the panel reads the rollouts again while it is shown, ms. */
const REFRESH_MS = 2_000;

/** Fleet upgrade rollouts, newest first: the build, the state, and each agent's progress, version and reason. */
export function UpgradesPanel(): JSX.Element {
  const [rollouts, setRollouts] = useState<RolloutViewBody[]>([]);
  useEffect(() => {
    let alive = true;
    const load = (): void => {
      api<{ upgrades: RolloutViewBody[] }>('/api/v1/upgrades').then(
        (body) => alive && setRollouts(body.upgrades.slice(0, 5)),
        () => undefined,
      );
    };
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, []);
  return (
    <Panel title={`Upgrades (${rollouts.length})`}>
      {rollouts.length === 0 ? (
        <Empty>No rollout yet: `tether-cp agents upgrade --file tether-agent.mjs --canary 1`.</Empty>
      ) : (
        rollouts.map((r) => (
          <div key={r.id} data-rollout={r.id}>
            <p>
              <Badge value={r.state} /> {r.id}: build {r.sha256.slice(0, 12)} ({bytes(r.size)}), canary{' '}
              {r.canary}, started {when(r.createdAt)}
              {r.reason ? <span class="muted"> ({r.reason})</span> : null}
            </p>
            <table class="table">
              <thead>
                <tr>
                  <th>agent</th>
                  <th>state</th>
                  <th>progress</th>
                  <th>version</th>
                  <th>reason</th>
                </tr>
              </thead>
              <tbody>
                {r.targets.map((t) => (
                  <tr key={t.agentId}>
                    <td>{t.agentId}</td>
                    <td>
                      <Badge value={t.state} />
                    </td>
                    <td>{Math.floor((100 * t.fetchedBytes) / r.size)}%</td>
                    <td>{t.version ?? '—'}</td>
                    <td class="muted">{t.reason ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))
      )}
    </Panel>
  );
}
