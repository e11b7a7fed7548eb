import { useEffect, useState } from 'preact/hooks';
import type { JSX } from 'preact';
import { unauthorized } from './api.js';
import { AgentDetail } from './pages/agent-detail.js';
import { Audit } from './pages/audit.js';
import { Agents } from './pages/agents.js';
import { ApiReference } from './pages/api-reference.js';
import { Login } from './pages/login.js';
import { Overview } from './pages/overview.js';
import { Reports } from './pages/reports.js';
import { ServiceDetail } from './pages/service-detail.js';
import { Services } from './pages/services.js';
import { Topology } from './pages/topology.js';
import { DASHBOARD_PAGES, type DashboardPage } from '../../src/api/dashboard-pages.js';
import { Link, match, path } from './router.js';
import { checkSession, isAdmin, session, signOut } from './session.js';
import { live, startLive } from './store.js';

/** One component per page the server serves (DASHBOARD_PAGES): a page missing here is a type error. */
const PAGES: Record<DashboardPage, (params: Record<string, string>) => JSX.Element> = {
  '/': () => <Overview />,
  '/topology': () => <Topology />,
  '/agents': () => <Agents />,
  '/agents/:id': (p) => <AgentDetail id={p.id!} />,
  '/services': () => <Services />,
  '/services/:name': (p) => <ServiceDetail name={p.name!} />,
  '/reports': () => <Reports />,
  '/audit': () => <Audit />,
  '/api': () => <ApiReference />,
};

function Page(): JSX.Element {
  const p = path.value === '' ? '/' : path.value;
  for (const page of DASHBOARD_PAGES) {
    const params = match(page, p);
    if (params) return PAGES[page](params);
  }
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
  const [menuOpen, setMenuOpen] = useState(false);
  const current = path.value;
  useEffect(() => {
    if (s.state === 'ready') startLive();
  }, [s.state]);
  useEffect(() => setMenuOpen(false), [current]);
  if (s.state === 'checking') return <p class="empty">Loading…</p>;
  if (s.state === 'login' || unauthorized.value) return <Login />;
  return (
    <div class="shell">
      <nav class={`nav ${menuOpen ? 'nav-open' : ''}`}>
        <span class="brand">Tether</span>
        <div class="nav-links">
          <Link href="/">Overview</Link>
          <Link href="/topology">Topology</Link>
          <Link href="/agents">Agents</Link>
          <Link href="/services">Services</Link>
          <Link href="/reports">Reports</Link>
          {isAdmin.value ? <Link href="/audit">Audit</Link> : null}
          <Link href="/api">API</Link>
        </div>
        <span class="spacer" />
        <span class={`live live-${live.value}`} data-testid="live" title="event stream">
          {live.value === 'open' ? 'live' : live.value}
        </span>
        <button
          class="nav-toggle small"
          aria-expanded={menuOpen}
          data-testid="nav-toggle"
          onClick={() => setMenuOpen(!menuOpen)}
        >
          {menuOpen ? 'Close' : 'Menu'}
        </button>
        <span class="who">{s.authEnabled ? `${s.name ?? 'token'} (${s.role})` : 'no auth (admin)'}</span>
        {s.authEnabled ? (
          <button class="link signout" onClick={signOut}>
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
