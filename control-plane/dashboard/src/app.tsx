import { useEffect } from 'preact/hooks';
import type { JSX } from 'preact';
import { unauthorized } from './api.js';
import { AgentDetail } from './pages/agent-detail.js';
import { Agents } from './pages/agents.js';
import { ApiReference } from './pages/api-reference.js';
import { Login } from './pages/login.js';
import { Overview } from './pages/overview.js';
import { Reports } from './pages/reports.js';
import { ServiceDetail } from './pages/service-detail.js';
import { Services } from './pages/services.js';
import { Topology } from './pages/topology.js';
import { Link, match, path } from './router.js';
import { checkSession, session, signOut } from './session.js';
import { live, startLive } from './store.js';

function Page(): JSX.Element {
  const p = path.value;
  let params: Record<string, string> | null;
  if (p === '/' || p === '') return <Overview />;
  if (p === '/topology') return <Topology />;
  if (p === '/agents') return <Agents />;
  if ((params = match('/agents/:id', p))) return <AgentDetail id={params.id!} />;
  if (p === '/services') return <Services />;
  if ((params = match('/services/:name', p))) return <ServiceDetail name={params.name!} />;
  if (p === '/reports') return <Reports />;
  if (p === '/api') return <ApiReference />;
  return (
    <div class="page">
      <p class="empty">No page at {p}.</p>
    </div>
  );
}

/** The dashboard: session check, then the live store and the pages. */
export function App(): JSX.Element {
  useEffect(() => {
    void checkSession();
  }, []);
  const s = session.value;
  useEffect(() => {
    if (s.state === 'ready') startLive();
  }, [s.state]);
  if (s.state === 'checking') return <p class="empty">Loading…</p>;
  if (s.state === 'login' || unauthorized.value) return <Login />;
  return (
    <div class="shell">
      <nav class="nav">
        <span class="brand">Tether</span>
        <Link href="/">Overview</Link>
        <Link href="/topology">Topology</Link>
        <Link href="/agents">Agents</Link>
        <Link href="/services">Services</Link>
        <Link href="/reports">Reports</Link>
        <Link href="/api">API</Link>
        <span class="spacer" />
        <span class={`live live-${live.value}`} data-testid="live" title="event stream">
          {live.value === 'open' ? 'live' : live.value}
        </span>
        <span class="who">{s.authEnabled ? `${s.name ?? 'token'} (${s.role})` : 'no auth (admin)'}</span>
        {s.authEnabled ? (
          <button class="link" onClick={signOut}>
            Sign out
          </button>
        ) : null}
      </nav>
      <main>
        <Page />
      </main>
    </div>
  );
}
