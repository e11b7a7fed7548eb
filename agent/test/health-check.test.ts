import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryRouteTable } from '@tether/shared';
import { toServiceSpec } from '@tether/agent';
import { HealthChecker } from '../src/services/health-checker.js';
import { ServiceRegistry } from '../src/services/service-registry.js';
import { quietLogger, waitFor } from './helpers.js';

let server: Server | undefined;
let registry: ServiceRegistry | undefined;
afterEach(async () => {
  registry?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

describe('health checks', () => {
  it('withdraw an instance after consecutive failures and re-add it on the next success', async () => {
    let healthy = true;
    const paths: string[] = [];
    server = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.statusCode = healthy ? 200 : 503;
      res.end();
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const table = new MemoryRouteTable();
    let changes = 0;
    registry = new ServiceRegistry({
      id: 'edge-1',
      site: 'lab',
      table,
      healthChecker: new HealthChecker({ logger: quietLogger }),
      onRoutesChanged: () => changes++,
    });
    registry.apply(
      'static',
      [
        toServiceSpec(
          {
            name: 'web',
            url,
            healthCheck: { path: '/healthz', interval: 10, timeout: 1000, unhealthyThreshold: 2 },
          },
          'static',
        ),
      ],
      [],
    );
    expect(table.count({ origin: 'edge-1' })).toBe(1);
    await waitFor(() => paths.length >= 2, 'two successful probes');
    expect(table.count({ origin: 'edge-1' })).toBe(1);
    expect(paths[0]).toBe('/healthz');

    healthy = false;
    await waitFor(() => table.count({ origin: 'edge-1' }) === 0, 'withdrawal');
    expect(registry.list()[0]).toMatchObject({ name: 'web', healthy: false, source: 'static' });

    healthy = true;
    await waitFor(() => table.count({ origin: 'edge-1' }) === 1, 're-add');
    expect(registry.list()[0]?.healthy).toBe(true);
    expect(changes).toBe(3); // added, withdrawn, re-added
  });

  it('counts a refused connection as a failure', async () => {
    const table = new MemoryRouteTable();
    registry = new ServiceRegistry({
      id: 'edge-1',
      site: 'lab',
      table,
      healthChecker: new HealthChecker({ logger: quietLogger }),
      onRoutesChanged: () => {},
    });
    // Port 1 on loopback: nothing listens there.
    registry.apply(
      'static',
      [
        toServiceSpec(
          {
            name: 'dead',
            url: 'http://127.0.0.1:1',
            healthCheck: { interval: 10, timeout: 500, unhealthyThreshold: 1 },
          },
          'api',
        ),
      ],
      [],
    );
    await waitFor(() => table.count() === 0, 'withdrawal of an unreachable service');
    expect(registry.list()[0]?.healthy).toBe(false);
  });
});
