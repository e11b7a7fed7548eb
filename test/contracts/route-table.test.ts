import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { MemoryRouteTable } from '@tether/shared';
import { describeRouteTableContract } from './route-table.contract.js';

describeRouteTableContract('MemoryRouteTable', () => ({ table: new MemoryRouteTable() }));

// Imported dynamically so that the memory run still reports if the control plane fails to load.
const controlPlane = await import('@tether/control-plane').then(
  (module) => ({ ok: true as const, module }),
  (error: unknown) => ({ ok: false as const, error }),
);

if (controlPlane.ok) {
  const { SqliteRouteTable, openDatabase } = controlPlane.module;
  describeRouteTableContract('SqliteRouteTable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tether-route-table-'));
    const db = openDatabase(join(dir, 'tether.db'));
    return {
      table: new SqliteRouteTable(db),
      close: () => {
        db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
} else {
  describe('RouteTable contract: SqliteRouteTable', () => {
    it('loads SqliteRouteTable and openDatabase from @tether/control-plane', () => {
      throw controlPlane.error;
    });
  });
}
