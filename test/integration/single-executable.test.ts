import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CP_BIN, ROOT, runNode, spawnNode, stopAll, tempDir } from '../helpers/processes.js';
import { postReports, storedCounts } from '../helpers/reports.js';
import { startControlPlane, type ControlPlane } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

/** What `pnpm build` makes on linux-x64 with a node that supports it (agent/scripts/single-executable.js). */
const AGENT_SEA = join(ROOT, 'agent', 'dist', 'tether-agent');
/** A device with no Node: nothing on PATH, no NODE_* variables pointing at a workspace. */
const NO_NODE = { PATH: '/nonexistent', NODE_PATH: '', NODE_OPTIONS: '' };

async function grant(cp: ControlPlane): Promise<string> {
  const res = await runNode([CP_BIN, 'grant', 'create', '--data-dir', cp.dataDir]);
  expect(res.code, res.stderr).toBe(0);
  return (JSON.parse(res.stdout.trim()) as { grant: string }).grant;
}

describe.skipIf(!existsSync(AGENT_SEA))('the single executable (linux-x64)', () => {
  let cp: ControlPlane;
  beforeAll(async () => {
    cp = await startControlPlane();
  });
  afterAll(stopAll);

  it('joins from a grant, runs and stores reports with its embedded SQLite addon, with no node on the device', async () => {
    const stateDir = join(tempDir('tether-sea-'), 'state');
    const args = ['join', await grant(cp), '--state-dir', stateDir, '--api-port', '0'];
    const agent = await spawnNode(args, NO_NODE, 20_000, [], AGENT_SEA);
    const view = await waitFor(async () => {
      const res = await cp.api<{ agents: { id: string; status: string; version: string | null }[] }>(
        '/api/v1/agents',
      );
      return res.body.agents.find((a) => a.status === 'online' && a.version !== null);
    }, 'the executable online at the hub, with its version');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'agent', 'package.json'), 'utf8')) as { version: string };
    expect(view.version).toBe(pkg.version);
    // No SQLite until a report comes: nothing written out of the executable yet.
    expect(existsSync(join(stateDir, 'native'))).toBe(false);
    const api = `http://127.0.0.1:${agent.ready.api}`;
    expect((await postReports(api, 'temp', [{ n: 1 }, { n: 2 }])).status).toBe(202);
    // The embedded addon, written out to the agent's own content-addressed copy and loaded from there.
    expect(readdirSync(join(stateDir, 'native'))).toEqual([
      expect.stringMatching(/^better_sqlite3-[0-9a-f]{64}\.node$/),
    ]);
    await waitFor(async () => (await storedCounts(cp, view.id)).temp === 2, 'the reports at the hub');
    expect(await agent.stop()).toBe(0);
  });

  it('--install-service writes a unit that starts the executable itself', async () => {
    const stateDir = join(tempDir('tether-sea-svc-'), 'state');
    const unitDir = tempDir('tether-sea-units-');
    const args = [
      'join',
      await grant(cp),
      '--state-dir',
      stateDir,
      '--install-service',
      '--unit-dir',
      unitDir,
    ];
    const res = await runNode(args, NO_NODE, 20_000, undefined, AGENT_SEA);
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout.trim()) as { unit: string };
    expect(readFileSync(out.unit, 'utf8')).toContain(`ExecStart=${AGENT_SEA} run\n`);
  });
});
