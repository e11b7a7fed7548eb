import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXTERNAL_CHECK_MS, markChanged } from '../src/db/read-cache.js';
import { AgentStore, SqliteRouteTable } from '../src/index.js';
import { edgeRoute, twoConnections } from './helpers.js';

describe('in-memory reads stay true to SQLite', () => {
  let conn: ReturnType<typeof twoConnections>;
  beforeEach(() => (conn = twoConnections()));
  afterEach(() => conn.close());
  const nextTurn = () => new Promise((r) => setImmediate(r));

  it('the route index forgets the writes of a transaction that rolled back', () => {
    const table = new SqliteRouteTable(conn.db);
    table.apply([edgeRoute('e1', 'kept', 'http://k')]);
    expect(() =>
      conn.db.transaction(() => {
        table.apply([edgeRoute('e1', 'lost', 'http://l')]);
        expect(table.list({ origin: 'e1' }).map((r) => r.service)).toEqual(['kept', 'lost']);
        throw new Error('roll back');
      })(),
    ).toThrow('roll back');
    expect(table.list({ origin: 'e1' }).map((r) => r.service)).toEqual(['kept']);
    expect(table.count()).toBe(1);
  });

  it("the route index sees another connection's writes once EXTERNAL_CHECK_MS passed since its last check", async () => {
    const clock = { now: () => 1_000 };
    const table = new SqliteRouteTable(conn.db, clock);
    expect(table.count()).toBe(0);
    new SqliteRouteTable(conn.other).apply([edgeRoute('e2', 'svc', 'http://x')]);
    await nextTurn();
    expect(table.count()).toBe(0); // data_version costs a pager lock: not read on every turn
    clock.now = () => 1_000 + EXTERNAL_CHECK_MS;
    await nextTurn();
    expect(table.list({ service: 'svc' }).map((r) => r.origin)).toEqual(['e2']);
  });

  it('the route index sees a write through its own connection by another writer on the next turn', async () => {
    const clock = { now: () => 1_000 };
    const table = new SqliteRouteTable(conn.db, clock);
    expect(table.count()).toBe(0);
    new SqliteRouteTable(conn.db).apply([edgeRoute('e3', 'svc', 'http://y')]);
    await nextTurn();
    expect(table.list({ service: 'svc' }).map((r) => r.origin)).toEqual(['e3']);
  });

  it("the agent cache follows the store's writes, another connection's and markChanged", async () => {
    const agents = new AgentStore(conn.db);
    agents.insert('a1', 'h', 1);
    expect(agents.get('a1')?.status).toBe('offline');
    agents.setOnline('a1', 2);
    expect(agents.get('a1')?.status).toBe('online');
    conn.other.prepare("UPDATE agents SET site = 'elsewhere' WHERE id = 'a1'").run();
    await nextTurn();
    expect(agents.get('a1')?.site).toBe('elsewhere');
    conn.db.prepare("UPDATE agents SET site = 'applied' WHERE id = 'a1'").run();
    markChanged(conn.db); // what the cluster's change applier does after writing rows itself
    expect(agents.get('a1')?.site).toBe('applied');
  });

  it('keeps the sync position of an agent that went offline (an unchanged agent may resume)', () => {
    const agents = new AgentStore(conn.db);
    agents.insert('a1', 'h', 1);
    agents.recordSnapshot('a1', { epoch: 'e', seq: 3, strategy: 'local', site: 's', labels: {}, at: 2 });
    agents.setOffline('a1', 3);
    agents.setAllOffline();
    expect(agents.get('a1')).toMatchObject({ status: 'offline', epoch: 'e', seq: 3 });
  });
});
