import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openDatabase, startControlPlane } from '../src/index.js';
import {
  addAgent,
  adminAuth,
  connectAgent,
  edgeRoute,
  silentLogger,
  snapshot,
  startTestControlPlane,
  tempDir,
  waitFor,
} from './helpers.js';

describe('control plane lifecycle', () => {
  it('after a restart serves the last known routes at once, stale, with every agent offline', async () => {
    const { dir, cleanup } = tempDir();
    const options = { dataDir: dir, mqttPort: 0, httpPort: 0, host: '127.0.0.1', logger: silentLogger };
    try {
      const first = await startControlPlane(options);
      const agent = await connectAgent(first, 'edge-1', addAgent(first, 'edge-1'));
      await agent.publish(snapshot([edgeRoute('edge-1', 'web', 'http://10.0.0.1')]));
      await agent.next('agent-routes');
      expect(first.table.count({ state: 'active' })).toBe(1);
      await first.close();
      // The stop itself recorded every agent offline and its routes stale (in one statement, not per disconnect).
      const file = openDatabase(join(dir, 'tether.db'));
      try {
        expect(file.prepare('SELECT id, status FROM agents').all()).toEqual([
          { id: 'edge-1', status: 'offline' },
        ]);
        expect(file.prepare('SELECT service, state FROM routes').all()).toEqual([
          { service: 'web', state: 'stale' },
        ]);
      } finally {
        file.close();
      }

      const second = await startControlPlane(options);
      try {
        expect(second.table.list().map((r) => [r.service, r.state])).toEqual([['web', 'stale']]);
        const res = await fetch(`http://127.0.0.1:${second.ports.http}/api/v1/agents/edge-1`, {
          headers: adminAuth(dir),
        });
        expect(await res.json()).toMatchObject({ status: 'offline', routeCount: 1, staleRoutes: 1 });
      } finally {
        await second.close();
      }
    } finally {
      cleanup();
    }
  });

  it('a takeover by the same agent id does not mark the new connection offline', async () => {
    const { cp, stop } = await startTestControlPlane();
    try {
      const secret = addAgent(cp, 'edge-1');
      const old = await connectAgent(cp, 'edge-1', secret);
      const fresh = await connectAgent(cp, 'edge-1', secret);
      await waitFor(() => !old.client.connected, 2000, 'old connection closed');
      await fresh.publish(snapshot([edgeRoute('edge-1', 'web', 'http://10.0.0.1')], 'e2'));
      await fresh.next('agent-routes');
      await new Promise((r) => setTimeout(r, 100));
      const row = cp.db.prepare('SELECT status FROM agents WHERE id = ?').get('edge-1');
      expect(row).toEqual({ status: 'online' });
      expect(cp.table.count({ origin: 'edge-1', state: 'active' })).toBe(1);
      await fresh.end();
      await old.end();
    } finally {
      await stop();
    }
  });
});
