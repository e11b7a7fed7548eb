import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_BUNDLE, ROOT, spawnNode, stopAll, tempDir } from '../helpers/processes.js';
import { postReports, storedCounts } from '../helpers/reports.js';
import { startControlPlane, type ControlPlane } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

const ADDON = 'better_sqlite3.node';

/** A device's install: the bundle and its addon copied out of dist/ (the test overwrites these, never dist/). */
function installDevice(): { dir: string; bundle: string; addon: string } {
  const dir = tempDir('tether-device-');
  copyFileSync(AGENT_BUNDLE, join(dir, 'tether-agent.mjs'));
  copyFileSync(join(AGENT_BUNDLE, '..', ADDON), join(dir, ADDON));
  return { dir, bundle: join(dir, 'tether-agent.mjs'), addon: join(dir, ADDON) };
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** What `scp` over the files does: the same inode truncated and rewritten, here with other bytes of the same size. */
function overwriteInPlace(file: string): void {
  writeFileSync(file, randomBytes(statSync(file).size));
}

describe('a running agent whose files are replaced on disk', () => {
  let cp: ControlPlane;
  beforeAll(async () => {
    cp = await startControlPlane();
  });
  afterAll(stopAll);

  it('the hazard is real: a process that loaded the addon file itself dies by a signal when it is overwritten', async () => {
    const device = installDevice();
    const script = [
      `const Database = require(${JSON.stringify(join(ROOT, 'agent/node_modules/better-sqlite3'))});`,
      `const db = new Database(':memory:', { nativeBinding: ${JSON.stringify(device.addon)} });`,
      "console.log('{}');",
      // Bounded: 2,000 queries, 5 ms apart; the overwrite comes within the first few.
      "let n = 0; const t = setInterval(() => { db.prepare('SELECT ?').get(n); if (++n >= 2000) clearInterval(t); }, 5);",
    ].join('\n');
    const proc = await spawnNode(['-e', script]);
    overwriteInPlace(device.addon);
    const signal = await waitFor(() => proc.child.signalCode ?? false, 'the process killed by a signal');
    // Which fault depends on the random bytes the CPU then runs or reads: seen SEGV, BUS, ILL and FPE (FPE in a clean-clone CI run).
    expect(signal).toMatch(/^SIG(SEGV|BUS|ILL|FPE|TRAP|SYS|ABRT)$/);
  });

  it('keeps running and storing reports: it loads its own content-addressed copy, not the shipped file', async () => {
    const device = installDevice();
    const id = 'device-1';
    const secret = await cp.addAgent(id);
    const stateDir = join(device.dir, 'state');
    const agent = await spawnNode(
      [
        device.bundle,
        'run',
        '--control-plane',
        cp.mqttUrl,
        '--id',
        id,
        '--state-dir',
        stateDir,
        '--api-port',
        '0',
      ],
      { TETHER_SECRET: secret },
    );
    const api = `http://127.0.0.1:${agent.ready.api}`;
    // SQLite is loaded at the first report, not at start: the shipped addon was only snapshotted (kernel copy).
    expect(readdirSync(join(stateDir, 'native'))).toEqual(['.shipped.tmp']);
    const shipped = sha256(readFileSync(device.addon));

    // The README's upgrade step, by hand: new files copied over the old ones while the agent runs, here before its
    // first report (SQLite not loaded yet) and again after.
    overwriteInPlace(device.addon);
    expect((await postReports(api, 'temp', [{ n: 1 }])).status).toBe(202);
    await waitFor(async () => (await storedCounts(cp, id)).temp === 1, 'the first report at the hub');
    // It loaded the addon it started with, not the bytes now on disk.
    expect(readdirSync(join(stateDir, 'native'))).toEqual([`better_sqlite3-${shipped}.node`]);
    overwriteInPlace(device.addon);
    overwriteInPlace(device.bundle);
    for (let n = 2; n <= 50; n++) expect((await postReports(api, 'temp', [{ n }])).status).toBe(202);
    await waitFor(async () => (await storedCounts(cp, id)).temp === 50, 'every report at the hub');
    expect(agent.child.exitCode, agent.stderr()).toBeNull();
    expect(agent.child.signalCode, agent.stderr()).toBeNull();
    expect(await agent.stop()).toBe(0);
  });
});
