import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CommitWatch } from '../src/db/commit-watch.js';
import { GroupCommit } from '../src/db/group-commit.js';
import { AgentStore } from '../src/store/agent-store.js';
import { twoConnections } from './helpers.js';

const IDS = ['a1', 'a2', 'a3', 'unknown'] as const;
const id = fc.constantFrom(...IDS);
const labels = fc.constantFrom<Record<string, string>[]>({}, { zone: 'z1' }, { zone: 'z2', rack: 'r' });
const strategy = fc.constantFrom('none' as const, 'local' as const, 'all' as const);

/** One write of the store, as the connect path (and the API) makes them. */
const write = fc.oneof(
  fc.record({ type: fc.constant('online' as const), id, at: fc.nat(1000) }),
  fc.record({ type: fc.constant('offline' as const), id, at: fc.nat(1000) }),
  fc.record({
    type: fc.constant('status' as const),
    id,
    at: fc.nat(1000),
    strategy: fc.option(strategy, { nil: undefined }),
    site: fc.option(fc.constantFrom('s1', 's2'), { nil: undefined }),
    labels: fc.option(labels, { nil: undefined }),
    version: fc.option(fc.constantFrom('1.0.0', '1.1.0'), { nil: undefined }),
  }),
  fc.record({
    type: fc.constant('snapshot' as const),
    id,
    at: fc.nat(1000),
    epoch: fc.constantFrom('e1', 'e2'),
    seq: fc.nat(50),
    strategy,
    site: fc.constantFrom('s1', 's2'),
    labels,
  }),
  fc.record({ type: fc.constant('position' as const), id, at: fc.nat(1000), seq: fc.nat(50) }),
  fc.record({ type: fc.constant('revoke' as const), id, at: fc.nat(1000) }),
  fc.record({
    type: fc.constant('rotate' as const),
    id,
    at: fc.nat(1000),
    rotation: fc.constantFrom('r1', 'r2'),
  }),
);
type Write = typeof write extends fc.Arbitrary<infer W> ? W : never;

/**
 * Where a write runs: outside any transaction, queued in the group commit, queued and then failing (its savepoint
 * rolls back), or in a transaction nobody watches that rolls back (an API request failing).
 */
const mode = fc.constantFrom('direct', 'queued', 'queued-fails', 'unwatched-fails', 'unwatched');
const step = fc.oneof(
  { weight: 5, arbitrary: fc.record({ write, mode }) },
  { weight: 1, arbitrary: fc.constant('flush' as const) },
);

function apply(store: AgentStore, w: Write): void {
  switch (w.type) {
    case 'online':
      return store.setOnline(w.id, w.at);
    case 'offline':
      return store.setOffline(w.id, w.at);
    case 'status':
      return store.recordStatus(w.id, w);
    case 'snapshot':
      return store.recordSnapshot(w.id, w);
    case 'position':
      return store.recordPosition(w.id, w.seq, w.at);
    case 'revoke':
      return void store.revoke(w.id, w.at);
    case 'rotate':
      return void store.setPendingSecret(w.id, `hash-${w.rotation}`, w.rotation, w.at);
  }
}

describe('AgentStore write-through cache (real SQLite, group commit)', () => {
  let conn: ReturnType<typeof twoConnections>;
  beforeEach(() => {
    conn = twoConnections();
    conn.db.pragma('synchronous = OFF'); // what is tested is visibility, not durability: no fsync per write
  });
  afterEach(() => conn.close());

  it('always answers what SQLite holds: written in a commit or outside one, rolled back alone in a commit or outside one', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
        conn.db.exec('DELETE FROM agents');
        const watch = new CommitWatch();
        const cached = new AgentStore(conn.db, watch);
        const errors: string[] = [];
        const commits = new GroupCommit({
          db: conn.db,
          logger: { error: (_o, msg) => errors.push(msg) },
          durable: false,
          watch,
        });
        for (const agent of IDS.slice(0, 3)) cached.insert(agent, `hash-${agent}`, 1);
        // A fresh store on another connection: what is committed.
        const agree = () => {
          const committed = new AgentStore(conn.other);
          for (const agent of IDS) expect(cached.get(agent)).toEqual(committed.get(agent));
        };
        // A fresh store on the same connection: what this transaction sees now.
        const agreeInside = (agent: string) =>
          expect(cached.get(agent)).toEqual(new AgentStore(conn.db).get(agent));
        for (const agent of IDS) cached.get(agent); // warm: every agent cached before the writes
        for (const s of steps) {
          if (s === 'flush') {
            commits.flush();
            agree();
            continue;
          }
          const { write: w } = s;
          switch (s.mode) {
            case 'direct':
              apply(cached, w);
              break;
            case 'queued':
            case 'queued-fails':
              commits.enqueue(() => {
                agreeInside(w.id);
                apply(cached, w);
                agreeInside(w.id);
                if (s.mode === 'queued-fails') throw new Error('work failed after its write');
              });
              continue;
            case 'unwatched':
            case 'unwatched-fails':
              commits.flush(); // not inside a group commit slice
              try {
                conn.db.transaction(() => {
                  apply(cached, w);
                  agreeInside(w.id);
                  if (s.mode === 'unwatched-fails') throw new Error('request failed after its write');
                })();
              } catch {
                // rolled back
              }
              break;
          }
          agree();
        }
        commits.flush();
        agree();
        expect(errors.every((e) => e === 'queued write failed and was rolled back alone')).toBe(true);
      }),
      { numRuns: 80 },
    );
  });

  it('reads a connecting agent from SQLite once: online, status and snapshot hand the cache their rows', () => {
    const watch = new CommitWatch();
    // Counts the loads of one agent row (the store's `get` statement).
    let loads = 0;
    const prepare = conn.db.prepare.bind(conn.db);
    conn.db.prepare = ((sql: string) => {
      const statement = prepare(sql);
      if (sql !== 'SELECT * FROM agents WHERE id = ?') return statement;
      const get = statement.get.bind(statement);
      return Object.assign(statement, { get: (...args: unknown[]) => (loads++, get(...args)) });
    }) as typeof conn.db.prepare;
    const cached = new AgentStore(conn.db, watch);
    conn.db.prepare = prepare;
    cached.insert('a1', 'h', 1);
    const commits = new GroupCommit({ db: conn.db, logger: { error: () => {} }, watch });
    expect(cached.get('a1')?.status).toBe('offline'); // authenticate: the one load
    commits.enqueue(() => cached.setOnline('a1', 2));
    commits.enqueue(() => cached.recordStatus('a1', { version: '1.0.0', at: 3 }));
    commits.flush();
    expect(cached.get('a1')?.version).toBe('1.0.0'); // the snapshot's policy check
    commits.enqueue(() => {
      expect(cached.get('a1')?.status).toBe('online'); // agentGone, in the commit
      cached.recordSnapshot('a1', { epoch: 'e', seq: 1, strategy: 'local', site: 's', labels: {}, at: 4 });
    });
    commits.flush();
    expect(cached.get('a1')).toMatchObject({ status: 'online', version: '1.0.0', epoch: 'e', site: 's' });
    expect(loads).toBe(1);
  });
});
