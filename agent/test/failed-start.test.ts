import { mkdirSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startAgent, type StartAgentOptions } from '@tether/agent';
import { quietLogger, startBroker, tempDir, waitFor } from './helpers.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The files of this process open under `dir`. */
function openFilesUnder(dir: string): string[] {
  const open: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(dir)) open.push(target);
    } catch {
      /* closed while listing */
    }
  }
  return open;
}

async function occupiedPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

describe('a start that fails part-way', () => {
  it.each([
    [
      'a static service is invalid (after the link and the outbox opened)',
      async (): Promise<Partial<StartAgentOptions>> => ({
        services: [{ name: 'not a name!', url: 'http://127.0.0.1:1' }],
      }),
      /invalid service "not a name!"/,
    ],
    [
      'the local API port is taken (after sync, upgrades and the forwarder started)',
      async (): Promise<Partial<StartAgentOptions>> => ({ api: { port: await occupiedPort() } }),
      /EADDRINUSE|in use/i,
    ],
  ])('undoes what it started when %s: no link, no open outbox', async (_, extra, why) => {
    const broker = await startBroker();
    cleanups.push(() => broker.close());
    const { dir, remove } = await tempDir();
    cleanups.push(remove);
    const stateDir = path.join(dir, 'state');
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    writeFileSync(path.join(stateDir, 'outbox.db'), ''); // left by a previous run: opened at start
    let connects = 0;
    broker.broker.on('client', () => connects++);

    await expect(
      startAgent({
        id: 'edge-1',
        secret: 's',
        controlPlane: broker.url,
        stateDir,
        logger: quietLogger,
        api: { port: 0 },
        ...(await extra()),
      }),
    ).rejects.toThrow(why);

    expect(openFilesUnder(stateDir)).toEqual([]);
    // A connection already accepted is ended; then nothing dials again (MQTT.js would retry every second).
    await waitFor(() => broker.broker.connectedClients === 0, 'the link closed');
    const before = connects;
    await new Promise((r) => setTimeout(r, 1_500));
    expect(connects).toBe(before);
    expect(broker.broker.connectedClients).toBe(0);
  });
});
