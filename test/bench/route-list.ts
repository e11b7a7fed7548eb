/**
 * `pnpm bench:route-list [--routes 5000] [--lookups 2000] [--rounds 5] [--base DIR]`
 *
 * The agent's route lookup per call from the hub: `list({service, origin, state: 'active'})` on a MemoryRouteTable
 * holding `routes` routes of 500 services (its own and the central ones the hub sent). Prints microseconds per
 * lookup, the median of `rounds`; with `--base DIR` (the root of another checkout, built) that build's table is
 * filled alike and measured in the same rounds, alternated, and the ratio printed paired by round, with the load.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as mine from '@tether/shared';
import type { Route, RouteFilter } from '@tether/shared';
import { quantile } from './stats.js';

const { values: opts } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    routes: { type: 'string', default: '5000' },
    lookups: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '5' },
    base: { type: 'string' },
  },
});
const ROUTES = Number(opts.routes);
const LOOKUPS = Number(opts.lookups);
const ROUNDS = Math.max(1, Number(opts.rounds));
const SERVICES = 500;

interface Table {
  apply(upserts: readonly Route[]): unknown;
  list(filter?: RouteFilter): Route[];
}

/** A table of `module`'s MemoryRouteTable with ROUTES routes; a tenth of them are edge-1's own. */
function fill(module: { MemoryRouteTable: new () => Table }): Table {
  const table = new module.MemoryRouteTable();
  const routes: Route[] = Array.from({ length: ROUTES }, (_, i) => ({
    service: `svc-${i % SERVICES}`,
    address: `http://10.0.${Math.floor(i / 250) % 250}.${i % 250}:8080`,
    origin: i % 10 === 0 ? 'edge-1' : `edge-${2 + (i % 97)}`,
    originKind: 'edge',
    site: 'site-1',
    labels: {},
    metric: 1,
    state: 'active',
    version: 1,
  }));
  table.apply(routes);
  return table;
}

/** Microseconds per lookup of LOOKUPS lookups, the agent's own routes of one service each. */
function measure(table: Table): number {
  let found = 0;
  const start = performance.now();
  for (let i = 0; i < LOOKUPS; i++)
    found += table.list({ service: `svc-${i % SERVICES}`, origin: 'edge-1', state: 'active' }).length;
  if (found === 0) throw new Error('the lookups found no route: the table was not filled');
  return ((performance.now() - start) / LOOKUPS) * 1000;
}

const tables: Record<string, Table> = { mine: fill(mine) };
if (opts.base)
  tables.base = fill(
    (await import(join(opts.base, 'shared', 'dist', 'index.js'))) as { MemoryRouteTable: new () => Table },
  );
const times: Record<string, number[]> = {};
for (let round = 0; round < ROUNDS; round++)
  for (const [name, table] of Object.entries(tables)) (times[name] ??= []).push(measure(table));
console.log(`route-list: ${ROUTES} routes, ${LOOKUPS} lookups per round, medians of ${ROUNDS} rounds`);
for (const [name, t] of Object.entries(times))
  console.log(`  ${name.padEnd(4)} ${quantile(t, 0.5).toFixed(1)} us per lookup`);
if (times.base) {
  const ratios = times.mine!.map((t, i) => t / times.base![i]!);
  console.log(`  mine / base paired by round: ${quantile(ratios, 0.5).toPrecision(2)}x`);
}
console.log(`  load average: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
