import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Aedes } from 'aedes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runNode, stopAll, tempDir } from '../helpers/processes.js';

/** Runs a start that fails after the link and the outbox opened, prints why, and leaves the process to end. */
const FAILING_START = `
import { startAgent } from ${JSON.stringify(pathToFileURL(join(ROOT, 'agent', 'dist', 'index.js')).href)};
await startAgent({
  id: 'edge-f',
  secret: 's',
  controlPlane: process.env.BROKER_URL,
  stateDir: process.env.STATE_DIR,
  logLevel: 'silent',
  api: { port: 0 },
  services: [{ name: 'not a name!', url: 'http://127.0.0.1:1' }],
}).then(
  () => console.log(JSON.stringify({ started: true })),
  (err) => console.log(JSON.stringify({ error: err.name, message: err.message })),
);
`;

describe('a failed agent start in its own process', () => {
  let broker: Aedes;
  let server: Server;
  let url: string;
  let connects = 0;
  beforeAll(async () => {
    broker = await Aedes.createBroker();
    broker.on('client', () => connects++);
    server = createServer({ noDelay: true }, (socket) => broker.handle(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await stopAll();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => broker.close(() => resolve()));
  });

  it('leaves nothing running: the process ends by itself and dials no more', async () => {
    const stateDir = join(tempDir('tether-failed-start-'), 'state');
    mkdirSync(stateDir, { mode: 0o700 });
    writeFileSync(join(stateDir, 'outbox.db'), ''); // left by a previous run: opened at start
    // Nothing left running means the event loop empties: a leaked link, timer or database kept it for ever.
    const run = await runNode(
      ['--input-type=module', '-e', FAILING_START],
      { BROKER_URL: url, STATE_DIR: stateDir },
      10_000,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      error: 'ConfigError',
      message: expect.stringContaining('invalid service "not a name!"') as string,
    });
    const after = connects;
    await new Promise((r) => setTimeout(r, 1_000));
    expect(connects).toBe(after);
    expect(broker.connectedClients).toBe(0);
  });
});
