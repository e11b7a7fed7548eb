import { afterEach, describe, expect, it } from 'vitest';
import { stat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { CENTRAL, MemoryRouteTable, type Route } from '@tether/shared';
import { RouteCache } from '../src/sync/route-cache.js';
import { CentralRoutes } from '../src/sync/central-routes.js';
import { ensureStateDir } from '../src/state/atomic-write.js';
import { ManualClock, quietLogger, tempDir } from './helpers.js';

const route = (service: string): Route => ({
  service,
  address: `http://central/${service}`,
  origin: CENTRAL,
  originKind: 'central',
  site: 'hub',
  labels: { t: '1' },
  metric: 3,
  state: 'active',
  version: 7,
});

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('route cache', () => {
  it('survives a restart: cached central routes come back stale until a full agent-routes replaces them', async () => {
    const { dir: root, remove } = await tempDir();
    cleanups.push(remove);
    const dir = path.join(root, 'state');
    await ensureStateDir(dir);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);

    const clock = new ManualClock();
    const table = new MemoryRouteTable();
    const cache = new RouteCache({ stateDir: dir, table, logger: quietLogger, clock });
    new CentralRoutes(table).apply({
      v: 1,
      type: 'agent-routes',
      epoch: 'e',
      seq: 0,
      full: true,
      upserts: [route('auth'), route('logs')],
      removes: [],
    });
    table.apply([{ ...route('own'), origin: 'edge-1', originKind: 'local' }]);
    cache.schedule();
    cache.schedule();
    expect(clock.pending).toBe(1); // debounced
    await cache.flush();
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    const restarted = new MemoryRouteTable();
    const loaded = await new RouteCache({
      stateDir: dir,
      table: restarted,
      logger: quietLogger,
      clock,
    }).load();
    expect(loaded).toBe(2);
    expect(restarted.list().map((r) => [r.service, r.state, r.originKind])).toEqual([
      ['auth', 'stale', 'central'],
      ['logs', 'stale', 'central'],
    ]);
    new CentralRoutes(restarted).apply({
      v: 1,
      type: 'agent-routes',
      epoch: 'e2',
      seq: 0,
      full: true,
      upserts: [route('auth')],
      removes: [],
    });
    expect(restarted.list().map((r) => [r.service, r.state])).toEqual([['auth', 'active']]);
  });

  it('ignores a corrupt cache', async () => {
    const { dir, remove } = await tempDir();
    cleanups.push(remove);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path.join(dir, 'routes-cache.json'), '{"v":1,"routes":[{"service":""}]');
    const table = new MemoryRouteTable();
    expect(await new RouteCache({ stateDir: dir, table, logger: quietLogger }).load()).toBe(0);
    expect(table.count()).toBe(0);
  });
});
