/**
 * `pnpm bench:commit-stage [--agents 3000] [--routes 10] [--per-commit 2] [--rounds 3] [--base DIR]`
 *
 * The control plane's commit stage of a reconnect storm, in this process: for each agent, the writes the connect
 * path queues in the group commit, in its order (Liveness: online; the retained status; the snapshot: its routes
 * replace the agent's and its row records the sync position), with the reads around them (authenticate, the
 * snapshot's policy check, agentGone in the commit, agent-updated after it), `--per-commit` agents a commit (a storm
 * at a few hundred agents/s fills a 5 ms window with one to three). Real stores on a fresh SQLite file (WAL), the
 * built code (`pnpm build` first). With `--base DIR` (another checkout's root, built) both builds run, alternating
 * round by round, and the ratios are printed: CPU (user + system) per agent, system time, time inside commits.
 * Then the same fleet's restart storm on that file: every agent's routes marked stale (as a start does), and
 * each agent back unchanged (advert-resume: agentGone, its stale routes made active, its sync position recorded).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { AgentStore, openDatabase, SqliteRouteTable } from '@tether/control-plane';
import type { Route } from '@tether/shared';

const { values: opts } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    agents: { type: 'string', default: '3000' },
    routes: { type: 'string', default: '10' },
    'per-commit': { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    base: { type: 'string' },
  },
});
const N = Number(opts.agents);
const R = Number(opts.routes);
const PER_COMMIT = Math.max(1, Number(opts['per-commit']));
const ROUNDS = Math.max(1, Number(opts.rounds));

type Database = ReturnType<typeof openDatabase>;

/** What the bench needs of a build (the same in every build since the group commit existed). */
interface Build {
  label: string;
  openDatabase(path: string): Database;
  SqliteRouteTable: new (db: Database) => SqliteRouteTable;
  AgentStore: new (db: Database, watch?: unknown) => AgentStore;
  GroupCommit: new (deps: object) => {
    enqueue<T>(work: () => T, after?: (r: T) => void): void;
    flush(): void;
  };
  /** Absent in builds before the write-through agent cache. */
  CommitWatch: (new () => unknown) | undefined;
}

async function load(root: string, label: string): Promise<Build> {
  const dist = join(root, 'control-plane', 'dist');
  const mod = (path: string) => import(join(dist, path)) as Promise<Record<string, unknown>>;
  const watch: Record<string, unknown> = await mod('db/commit-watch.js').catch(() => ({}));
  return {
    label,
    openDatabase: (await mod('db/open-database.js')).openDatabase as Build['openDatabase'],
    SqliteRouteTable: (await mod('store/sqlite-route-table.js'))
      .SqliteRouteTable as Build['SqliteRouteTable'],
    AgentStore: (await mod('store/agent-store.js')).AgentStore as Build['AgentStore'],
    GroupCommit: (await mod('db/group-commit.js')).GroupCommit as Build['GroupCommit'],
    CommitWatch: watch.CommitWatch as Build['CommitWatch'],
  };
}

const routesOf = (id: string, i: number): Route[] =>
  Array.from({ length: R }, (_, s) => ({
    service: `svc-${s}`,
    address: `http://10.${(i >> 8) & 255}.${i & 255}.1:${8000 + s}`,
    origin: id,
    originKind: 'edge' as const,
    site: 'site-1',
    labels: { zone: 'a' },
    metric: 10,
    state: 'active' as const,
    version: 1,
  }));

interface Figures {
  cpuUs: number;
  sysUs: number;
  commitUs: number;
}

/** A cold storm's and the restart storm's figures. */
interface Round {
  cold: Figures;
  resume: Figures;
}

type Commits = InstanceType<Build['GroupCommit']>;

/**
 * Queues one agent's advert commit as the connect path does: agentGone, `apply` (the routes written: replaced by
 * a snapshot, made active by a resume), the sync position recorded; agent-updated after it. `applied` counts the
 * route events.
 */
function enqueueAdvert(
  commits: Commits,
  agents: AgentStore,
  id: string,
  at: number,
  apply: () => readonly unknown[],
  applied: (n: number) => void,
): void {
  const snapshot = { epoch: 'e1', seq: 1, strategy: 'local' as const, site: 'site-1', labels: {}, at };
  commits.enqueue(
    () => {
      agents.get(id); // agentGone
      const written = apply();
      agents.recordSnapshot(id, snapshot);
      return written.length;
    },
    (n) => {
      applied(n);
      agents.get(id); // agent-updated
    },
  );
}

/** CPU (user + system), system and in-commit time per agent of `n` agents. */
function perAgent(used: NodeJS.CpuUsage, commitMs: number, n: number): Figures {
  return {
    cpuUs: (used.user + used.system) / n,
    sysUs: used.system / n,
    commitUs: (commitMs * 1000) / n,
  };
}

/** `PER_COMMIT` agents a commit, each resuming unchanged (handle-resume's work); CPU and commit time per agent. */
function resumeStorm(
  ids: string[],
  table: SqliteRouteTable,
  agents: AgentStore,
  commits: Commits,
  commitMs: () => number,
): Figures {
  table.markStaleInBulk({ originKind: 'edge' }, 5);
  table.count({}); // the index reloads at the first read after a start, outside the storm
  const before = commitMs();
  let events = 0;
  const started = process.cpuUsage();
  for (let from = 0; from < ids.length; from += PER_COMMIT) {
    for (const id of ids.slice(from, from + PER_COMMIT)) {
      agents.get(id); // authenticate
      enqueueAdvert(
        commits,
        agents,
        id,
        6,
        () => table.reactivateOrigin(id),
        (n) => (events += n),
      );
    }
    commits.flush();
  }
  const used = process.cpuUsage(started);
  if (events !== ids.length * R || table.count({ state: 'active' }) !== ids.length * R)
    throw new Error(`resume: ${events} events`);
  return perAgent(used, commitMs() - before, ids.length);
}

/** One storm of N agents on a fresh file, then its restart storm; CPU and commit time per agent. */
function storm(b: Build): Round {
  const dir = mkdtempSync(join(tmpdir(), 'tether-bench-commit-'));
  const db = b.openDatabase(join(dir, 'tether.db'));
  try {
    const table = new b.SqliteRouteTable(db);
    const watch = b.CommitWatch ? new b.CommitWatch() : undefined;
    const agents = new b.AgentStore(db, watch);
    let commitMs = 0;
    const commits = new b.GroupCommit({
      db,
      logger: { error: (_o: object, msg: string) => console.error(msg) },
      durable: false,
      watch,
      committed: (ms: number) => (commitMs += ms),
    });
    const ids = Array.from({ length: N }, (_, i) => `sim-${i}`);
    db.transaction(() => ids.forEach((id) => agents.insert(id, 'x'.repeat(64), 1)))();
    const routes = ids.map(routesOf);
    let events = 0;
    const started = process.cpuUsage();
    for (let from = 0; from < N; from += PER_COMMIT) {
      const batch = ids.slice(from, from + PER_COMMIT);
      for (const id of batch) {
        agents.get(id); // authenticate
        commits.enqueue(() => agents.setOnline(id, 2));
        commits.enqueue(
          () => agents.recordStatus(id, { strategy: 'local', site: 'site-1', version: '1.0.0', at: 3 }),
          () => agents.get(id), // agent-updated
        );
      }
      commits.flush();
      batch.forEach((id, j) => {
        agents.get(id); // the snapshot's policy check
        enqueueAdvert(
          commits,
          agents,
          id,
          4,
          () => table.replaceOrigin(id, routes[from + j]!),
          (n) => (events += n),
        );
      });
      commits.flush();
    }
    const used = process.cpuUsage(started);
    if (events !== N * R || table.count({}) !== N * R) throw new Error(`${b.label}: ${events} events`);
    const cold = perAgent(used, commitMs, N);
    return { cold, resume: resumeStorm(ids, table, agents, commits, () => commitMs) };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const here = dirname(fileURLToPath(import.meta.url));
  const builds = [await load(resolve(here, '..', '..'), 'this build')];
  if (opts.base) builds.unshift(await load(resolve(opts.base), `base ${opts.base}`));
  console.log(
    `commit stage of a storm: ${N} agents x ${R} routes, ${PER_COMMIT} agents a commit, ${ROUNDS} rounds`,
  );
  const runs = new Map<Build, Round[]>(builds.map((b) => [b, []]));
  storm(builds[0]!); // warm-up (JIT), not counted
  for (let round = 0; round < ROUNDS; round++) for (const b of builds) runs.get(b)!.push(storm(b));
  for (const phase of ['cold', 'resume'] as const) {
    const med = (b: Build, f: keyof Figures) => median(runs.get(b)!.map((r) => r[phase][f]));
    console.log(phase === 'cold' ? '-- cold storm (snapshots)' : '-- restart storm (every agent resumes)');
    for (const b of builds) {
      const all = runs
        .get(b)!
        .map((r) => r[phase].cpuUs.toFixed(0))
        .join('/');
      console.log(
        `${b.label.padEnd(40)} CPU ${med(b, 'cpuUs').toFixed(0)} us/agent (rounds ${all}), system ${med(b, 'sysUs').toFixed(0)}, in commits ${med(b, 'commitUs').toFixed(0)}`,
      );
    }
    if (builds.length === 2) {
      const [base, mine] = builds as [Build, Build];
      const ratio = (f: keyof Figures) => (med(mine, f) / med(base, f)).toFixed(2);
      console.log(
        `this / base: CPU ${ratio('cpuUs')}, system ${ratio('sysUs')}, in commits ${ratio('commitUs')}`,
      );
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
