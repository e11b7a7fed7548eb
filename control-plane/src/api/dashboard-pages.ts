/**
 * The dashboard's pages, as client routes (`:name` a parameter). The server answers `index.html` for exactly these
 * paths and the client router draws one page for each (dashboard/src/app.tsx), so the two cannot drift apart.
 */
export const DASHBOARD_PAGES = [
  '/',
  '/topology',
  '/agents',
  '/agents/:id',
  '/services',
  '/services/:name',
  '/reports',
  '/audit',
  '/api',
] as const;

/** One dashboard page. */
export type DashboardPage = (typeof DASHBOARD_PAGES)[number];
