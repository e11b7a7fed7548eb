import { ValidationError } from '@tether/shared';
import { agentMatches, type AgentFilter } from '../api/agent-page.js';
import { AGENT_STATES, agentState, type AgentState } from '../api/agent-state.js';
import type { AgentView } from '../api/api-schemas.js';
import { agentView } from '../api/views.js';
import { listGrants, type GrantView } from '../agents/registration/grant-admin.js';
import { tokenView } from '../auth/api-tokens.js';
import { TokenStore } from '../auth/token-store.js';
import { AgentStore } from '../store/agent-store.js';
import { SqliteRouteTable } from '../store/sqlite-route-table.js';
import { withDatabase, type DataDirFlags } from './data-dir.js';
import { labelCell, printList, relativeTime, type Column } from './table.js';

/** The flags of the list commands: the data dir, and `--json` for one JSON document instead of a table. */
export interface ListFlags extends DataDirFlags {
  json?: boolean;
}

/** No outbox figures from the CLI: they live in the running server's memory (its digests). */
const NO_TELEMETRY = { get: () => undefined };

/** The flags of `agent list`: the list flags and the filters `GET /api/v1/agents` takes. */
export interface AgentListFlags extends ListFlags {
  state?: string;
  site?: string;
}

/**
 * `agent list`: the agents (filtered by state and site) with their state (revoked, online, stale, offline), as
 * `GET /api/v1/agents` shows them; it walks the agents by id, a chunk at a time, as the API's pages do.
 */
export function listAgents(flags: AgentListFlags): void {
  const now = Date.now();
  const state = flags.state;
  if (state !== undefined && !(AGENT_STATES as readonly string[]).includes(state))
    throw new ValidationError(`invalid --state "${state}": expected one of ${AGENT_STATES.join(', ')}`);
  const filter: AgentFilter = { state: state as AgentState | undefined, site: flags.site };
  const agents = withDatabase(flags.dataDir, 'existing', (db) => {
    const table = new SqliteRouteTable(db);
    const views: AgentView[] = [];
    for (const [, a] of new AgentStore(db).after(undefined))
      if (agentMatches(a, filter, table)) views.push(agentView(a, table, NO_TELEMETRY));
    return views;
  });
  const columns: Column<AgentView>[] = [
    { header: 'ID', cell: (a) => a.id },
    { header: 'STATE', cell: (a) => agentState(a) },
    { header: 'SITE', cell: (a) => a.site ?? '-' },
    {
      header: 'STRATEGY',
      cell: (a) => (a.fixedStrategy ? `${a.fixedStrategy} (fixed)` : (a.strategy ?? '-')),
    },
    { header: 'VERSION', cell: (a) => a.version ?? '-' },
    { header: 'LAST SEEN', cell: (a) => relativeTime(a.lastSeen, now) },
    {
      header: 'ROUTES',
      cell: (a) => (a.staleRoutes ? `${a.routeCount} (${a.staleRoutes} stale)` : `${a.routeCount}`),
    },
    { header: 'REVOKED', cell: (a) => a.revokedAt ?? '-' },
    { header: 'LABELS', cell: (a) => labelCell(a.labels) },
  ];
  printList(
    {
      json: flags.json,
      key: 'agents',
      empty: 'no agent yet: `tether-cp grant create` or `tether-cp agent add ID`',
    },
    columns,
    agents,
  );
}

/** `token list`: every API token (never the token itself). */
export function listTokens(flags: ListFlags): void {
  const now = Date.now();
  const tokens = withDatabase(flags.dataDir, 'existing', (db) => new TokenStore(db).list().map(tokenView));
  printList(
    { json: flags.json, key: 'tokens', empty: 'no token yet: `tether-cp token create --role admin`' },
    [
      { header: 'ID', cell: (t) => t.id },
      { header: 'NAME', cell: (t) => t.name },
      { header: 'ROLE', cell: (t) => t.role },
      { header: 'CREATED', cell: (t) => relativeTime(t.createdAt, now) },
      { header: 'BY', cell: (t) => t.createdBy ?? '-' },
    ],
    tokens,
  );
}

/** `grant list`: every enrollment grant with its state (valid, used, expired), never its secret. */
export function listGrantsCommand(flags: ListFlags): void {
  const now = Date.now();
  const grants = withDatabase(flags.dataDir, 'existing', (db) => listGrants(db, now));
  const columns: Column<GrantView>[] = [
    { header: 'ID', cell: (g) => g.id },
    { header: 'STATE', cell: (g) => g.state },
    { header: 'AGENT', cell: (g) => g.usedBy ?? g.agentId ?? '-' },
    { header: 'SITE', cell: (g) => g.site ?? '-' },
    { header: 'STRATEGY', cell: (g) => g.strategy ?? '-' },
    { header: 'CREATED', cell: (g) => relativeTime(g.createdAt, now) },
    { header: 'EXPIRES', cell: (g) => (g.state === 'used' ? '-' : relativeTime(g.expiresAt, now)) },
    { header: 'LABELS', cell: (g) => labelCell(g.labels) },
  ];
  printList(
    { json: flags.json, key: 'grants', empty: 'no grant yet: `tether-cp grant create`' },
    columns,
    grants,
  );
}
