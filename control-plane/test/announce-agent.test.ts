import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgentTelemetry } from '../src/agents/agent-telemetry.js';
import { announceAgent } from '../src/agents/sync/announce-agent.js';
import { openDatabase } from '../src/db/open-database.js';
import { EventBus, type ControlPlaneEvent } from '../src/observability/event-bus.js';
import { Metrics } from '../src/observability/metrics.js';
import { AgentStore } from '../src/store/agent-store.js';
import { SqliteRouteTable } from '../src/store/sqlite-route-table.js';
import { tempDir } from './helpers.js';

describe('announceAgent (real SQLite stores)', () => {
  const tmp = tempDir();
  const db = openDatabase(join(tmp.dir, 'tether.db'));

  it('emits one agent-updated per agent for everything announced in one task, with the view after all of it', async () => {
    const table = new SqliteRouteTable(db);
    const agents = new AgentStore(db);
    const bus = new EventBus();
    const ctx = { agents, bus, table, telemetry: new AgentTelemetry(), metrics: new Metrics({}) };
    const seen: ControlPlaneEvent[] = [];
    bus.subscribe((e) => seen.push(e));
    for (const id of ['a', 'b']) agents.insert(id, 'x', 1);
    announceAgent(ctx, 'a');
    agents.recordStatus('a', { site: 'later', at: 2 });
    announceAgent(ctx, 'b');
    announceAgent(ctx, 'a');
    expect(seen).toEqual([]);
    await Promise.resolve();
    expect(seen.map((e) => (e.type === 'agent-updated' ? [e.agent.id, e.agent.site] : e.type))).toEqual([
      ['a', 'later'],
      ['b', null],
    ]);
    announceAgent(ctx, 'a'); // a new task: announced again
    await Promise.resolve();
    expect(seen).toHaveLength(3);
    db.close();
    tmp.cleanup();
  });
});
