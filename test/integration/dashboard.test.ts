import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEchoService, type EchoService } from '../helpers/echo-service.js';
import { ROOT, stopAll } from '../helpers/processes.js';
import { startControlPlane, startEdge, type ControlPlane, type Edge } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

/** Debian's Chromium (`.ci/run` installs it when missing); TETHER_CHROMIUM overrides the path. */
const CHROMIUM = process.env.TETHER_CHROMIUM ?? '/usr/bin/chromium';
/** Screenshots of the main pages, for people to look at (gitignored). */
const ARTIFACTS = join(ROOT, 'test', 'artifacts');

// The dashboard in a real headless browser against a real control plane and two real agents: both show up, one
// killed with SIGKILL turns offline without a reload, and a policy edited in the page is stored.
describe('dashboard (headless Chromium)', () => {
  let cp: ControlPlane;
  let berlin: Edge;
  let paris: Edge;
  let echo: EchoService;
  let browser: Browser;
  let page: Page;

  const shot = (name: string, fullPage = true): Promise<Buffer> =>
    page.screenshot({ path: join(ARTIFACTS, `dashboard-${name}.png`), fullPage });

  /** The status badge of an agent's row in the agents table. */
  const agentBadge = (id: string) =>
    page.locator(`[data-testid="agents-table"] tr[data-agent="${id}"] .badge`);

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    echo = await startEchoService();
    cp = await startControlPlane({
      config: { services: [{ name: 'billing', url: echo.url, visibleTo: { labels: { tier: 'gold' } } }] },
    });
    const [a, b] = [await cp.addAgent('edge-berlin'), await cp.addAgent('edge-paris')];
    berlin = await startEdge({
      id: 'edge-berlin',
      secret: a,
      url: cp.mqttUrl,
      site: 'berlin',
      labels: { tier: 'gold' },
      services: { orders: echo.url },
    });
    paris = await startEdge({
      id: 'edge-paris',
      secret: b,
      url: cp.mqttUrl,
      site: 'paris',
      services: { orders: echo.url, stock: echo.url },
    });
    await waitFor(
      async () =>
        (await cp.api<{ routes: unknown[] }>('/api/v1/routes?state=active')).body.routes.length === 4,
      'both agents advertised',
    );
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(15_000);
  });

  afterAll(async () => {
    await browser?.close();
    await stopAll();
    await echo?.close();
  });

  it('asks for a token, then shows both agents, then one turns offline live after kill -9', async () => {
    await page.goto(`${cp.apiBase}/agents`);
    // The page itself is public; the data needs a token: the login form takes the admin token.
    await page.fill('[data-testid="login-token"]', cp.token);
    await page.locator('[data-testid="login-token"]').press('Enter');
    await expect.poll(() => agentBadge('edge-berlin').textContent()).toBe('online');
    await expect.poll(() => agentBadge('edge-paris').textContent()).toBe('online');
    await page.locator('[data-testid="live"]', { hasText: 'live' }).waitFor();
    // The outbox figures come with the agent's snapshot.
    await page.locator('tr[data-agent="edge-berlin"] td', { hasText: '0 (0 B)' }).waitFor();
    await shot('agents');

    // A marker on the page's global object survives only if the page is never reloaded.
    await page.evaluate(() => Object.assign(globalThis, { tetherMarker: 42 }));
    await paris.proc.stop('SIGKILL');
    // Offline with its routes kept (stale, within the grace): the row says so without a reload.
    await expect.poll(() => agentBadge('edge-paris').textContent(), { timeout: 15_000 }).toBe('stale');
    expect(await agentBadge('edge-berlin').textContent()).toBe('online');
    expect(await page.evaluate(() => (globalThis as { tetherMarker?: number }).tetherMarker)).toBe(42);
  });

  it('shows the overview with live call figures, the topology and the API reference', async () => {
    await page.locator('nav a', { hasText: 'Overview' }).click();
    await expect.poll(() => page.locator('[data-testid="agents-stale"] .stat-value').textContent()).toBe('1');
    // Calls through the gateway show up in the next stats event (pushed every 2 s), per service.
    for (let i = 0; i < 20; i++) {
      const res = await cp.fetch(`/call/orders/hello`);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    await page.locator('.panel td a', { hasText: 'orders' }).waitFor();
    await shot('overview');

    await page.locator('nav a', { hasText: 'Topology' }).click();
    // berlin (tier=gold) sees the central billing service; paris does not.
    await page.locator('g[data-edge="edge-berlin"] text.sees', { hasText: 'billing' }).waitFor();
    expect(await page.locator('g[data-edge="edge-paris"] text.sees').textContent()).not.toContain('billing');
    // paris was killed: drawn as stale, in words; visibility as a chip, not JSON.
    expect(await page.locator('g[data-edge="edge-paris"] text.state').textContent()).toBe('stale');
    expect(await page.locator('.chip', { hasText: 'tier = gold' }).count()).toBe(1);
    await shot('topology');

    await page.locator('nav a', { hasText: 'API' }).click();
    await page.locator('.op code.path', { hasText: '/api/v1/services/{name}/policy' }).first().waitFor();
    await shot('api', false);
  });

  it('edits a service policy in the page and the API stores it', async () => {
    await page.locator('nav a', { hasText: 'Services' }).click();
    await page.locator('[data-testid="services-table"] a', { hasText: 'orders' }).click();
    await page.locator('[data-testid="instances-table"] tbody tr').first().waitFor();
    // paris is disconnected: its instance is unreachable, whatever its calls said; berlin's is healthy.
    const status = (origin: string) =>
      page.locator(`[data-testid="instances-table"] tr:has(a:text-is("${origin}")) td:first-child .badge`);
    expect(await status('edge-paris').textContent()).toBe('unreachable');
    expect(await status('edge-berlin').textContent()).toBe('healthy');
    await page.locator('[data-testid="policy-tiers-add"]').click();
    const tier = page.locator('[data-testid="policy-tiers"] .row').first();
    await tier.locator('input').first().fill('berlin');
    await tier.locator('input[type="number"]').fill('5');
    await page.locator('[data-testid="policy-localFirst"]').uncheck();
    await page.locator('[data-testid="policy-save"]').click();
    await page.locator('[data-testid="policy-status"]', { hasText: 'Saved.' }).waitFor();
    await shot('service');

    const stored = await cp.api<{ policySource: string; policy: { localFirst: boolean; tiers: unknown[] } }>(
      '/api/v1/services/orders',
    );
    expect(stored.body.policySource).toBe('api');
    expect(stored.body.policy.localFirst).toBe(false);
    expect(stored.body.policy.tiers).toEqual([{ match: { site: 'berlin' }, priority: 5 }]);

    // A policy the server refuses shows its message and changes nothing.
    await page.locator('[data-testid="policy-defaultWeight"]').fill('2000000');
    await page.locator('[data-testid="policy-save"]').click();
    await page.locator('[data-testid="policy-status"]', { hasText: 'defaultWeight' }).waitFor();
    const after = await cp.api<{ policy: { defaultWeight: number } }>('/api/v1/services/orders');
    expect(after.body.policy.defaultWeight).toBe(1);
  });

  it('shows report streams and their live tail', async () => {
    await page.locator('nav a', { hasText: 'Reports' }).click();
    await page.locator('[data-testid="tail-toggle"]').click();
    await page.locator('.panel-head h2', { hasText: 'Live tail (live)' }).waitFor();
    const res = await berlin.api('/v1/reports/temperature', {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: '{"c":21.5}\n{"c":21.7}\n',
    });
    expect(res.status).toBe(202);
    await page.locator('[data-testid="tail"] li', { hasText: '21.7' }).waitFor();
    await page.locator('[data-testid="streams-table"] td', { hasText: 'temperature' }).waitFor();
    await shot('reports');
  });

  it('shows an edge advertising a central service as a name conflict on the service page, live', async () => {
    await page.locator('nav a', { hasText: 'Services' }).click();
    await page.locator('[data-testid="services-table"] a', { hasText: 'billing' }).click();
    await page.locator('[data-testid="instances-table"] tbody tr').first().waitFor();
    expect(await page.locator('[data-testid="service-conflicts"]').count()).toBe(0);
    const res = await berlin.api('/v1/services', {
      method: 'POST',
      body: JSON.stringify({ name: 'billing', url: echo.url }),
    });
    expect(res.status).toBe(201);
    await page.locator('[data-testid="service-conflicts"] li', { hasText: 'edge-berlin' }).waitFor();
    await page.locator('[data-testid="instances-table"] .badge-conflict').waitFor();
    await shot('service-conflict');
  });

  it('tells a revoked agent apart: its state in words with the date, no Revoke, nothing seen; audited', async () => {
    const del = await cp.api<{ revokedAt: string }>('/api/v1/agents/edge-paris', { method: 'DELETE' });
    expect(del.status).toBe(200);
    await page.locator('nav a', { hasText: 'Agents' }).click();
    await expect.poll(() => agentBadge('edge-paris').textContent()).toBe('revoked');
    const date = `${del.body.revokedAt.slice(0, 16).replace('T', ' ')} UTC`;
    expect(await page.locator('tr[data-agent="edge-paris"] [data-testid="revoked-at"]').textContent()).toBe(
      date,
    );
    const legend = await page.locator('[data-testid="agents-legend"]').textContent();
    for (const state of ['online', 'stale', 'offline', 'revoked']) expect(legend).toContain(state);

    await page.locator('[data-testid="agents-table"] a', { hasText: 'edge-paris' }).click();
    await page.locator('[data-testid="revoked-note"]', { hasText: date }).waitFor();
    expect(await page.locator('button', { hasText: 'Revoke' }).count()).toBe(0);
    expect(await page.locator('.facts dd', { hasText: 'nothing (revoked)' }).count()).toBe(1);
    await shot('agent-revoked');

    await page.locator('nav a', { hasText: 'Topology' }).click();
    await page.locator('g[data-edge="edge-paris"].edge-revoked text.state', { hasText: 'revoked' }).waitFor();

    await page.locator('nav a', { hasText: 'Audit' }).click();
    await page.locator('[data-testid="audit-table"] tr[data-kind="agent-revoked"]').waitFor();
    await page.locator('[data-testid="audit-kind"]').selectOption('agent-created');
    await page.locator('[data-testid="audit-apply"]').click();
    await expect.poll(() => page.locator('[data-testid="audit-table"] tbody tr').count()).toBe(2);
    expect(await page.locator('[data-testid="audit-table"] tr[data-kind="agent-revoked"]').count()).toBe(0);
    await shot('audit');
  });

  /** The pages to open at each size, and what shows that each has drawn its data. */
  const PAGES: Array<[string, string]> = [
    ['/', '[data-testid="agents-online"] .stat-value'],
    ['/topology', '.panel-head h2:has-text("Topology")'],
    ['/agents', '[data-testid="agents-table"]'],
    ['/agents/edge-berlin', '.facts'],
    ['/agents/edge-paris', '[data-testid="revoked-note"]'],
    ['/services', '[data-testid="services-table"]'],
    ['/services/orders', '[data-testid="instances-table"]'],
    ['/services/billing', '[data-testid="instances-table"]'],
    ['/reports', '[data-testid="streams-table"]'],
    ['/audit', '[data-testid="audit-table"]'],
    ['/api', '.op code.path'],
  ];

  for (const [width, height] of [
    [390, 844],
    [1440, 900],
  ] as const) {
    it(`at ${width}x${height}: every page, loaded afresh, fits the width; sign-in says where the token is`, async () => {
      const context = await browser.newContext({ viewport: { width, height } });
      const p = await context.newPage();
      p.setDefaultTimeout(15_000);
      const overflow = () => p.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
      try {
        await p.goto(`${cp.apiBase}/`);
        await p.locator('[data-testid="login-where"]', { hasText: 'DATA_DIR/admin-token' }).waitFor();
        expect(await overflow()).toBeLessThanOrEqual(0);
        await p.screenshot({ path: join(ARTIFACTS, `dashboard-${width}-login.png`), fullPage: true });
        await p.fill('[data-testid="login-token"]', cp.token);
        await p.locator('[data-testid="login-token"]').press('Enter');
        // The recent events are there at once: they happened before this page opened.
        await p.locator('.events li', { hasText: 'edge-paris' }).first().waitFor();
        expect(await p.locator('[data-testid="agents-revoked"] .stat-value').textContent()).toBe('1');

        for (const [path, ready] of PAGES) {
          await p.goto(`${cp.apiBase}${path}`); // a reload: each page must come back as the page
          await p.locator(ready).first().waitFor();
          expect(await overflow(), `${path} scrolls sideways at ${width} px`).toBeLessThanOrEqual(0);
          const name = path === '/' ? 'overview' : path.slice(1).replaceAll('/', '-');
          await p.screenshot({ path: join(ARTIFACTS, `dashboard-${width}-${name}.png`), fullPage: true });
        }
        const apiHeight = await p.evaluate<number>('document.documentElement.scrollHeight');
        expect(apiHeight).toBeLessThan(6000);

        if (width < 760) {
          // On a phone the nav is a menu, and the topology a list.
          expect(await p.locator('nav a', { hasText: 'Agents' }).isVisible()).toBe(false);
          await p.locator('[data-testid="nav-toggle"]').click();
          await p.screenshot({ path: join(ARTIFACTS, `dashboard-${width}-menu.png`) });
          await p.locator('nav a', { hasText: 'Topology' }).click();
          const item = p.locator('[data-testid="topology-list"] li[data-edge="edge-berlin"]');
          expect(await item.locator('.sees').textContent()).toContain('billing');
          expect(await item.locator('.badge').textContent()).toBe('online');
          expect(await p.locator('nav a', { hasText: 'Agents' }).isVisible()).toBe(false); // closed again
        }
      } finally {
        await context.close();
      }
    });
  }
});
