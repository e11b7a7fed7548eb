import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_BUNDLE, CP_BIN, runNode, stopAll, tempDir } from '../helpers/processes.js';
import { connectRaw } from '../helpers/mqtt-client.js';
import { startControlPlane, type ControlPlane } from '../helpers/tether.js';
import {
  buildWithVersion,
  enrollDevice,
  rollout,
  runDevice,
  startUpgrade,
  versions,
  VERSION_LITERAL,
  type Device,
  type Rollout,
} from '../helpers/upgrades.js';
import { waitFor } from '../helpers/wait.js';

const BUNDLE = readFileSync(AGENT_BUNDLE, 'utf8');

describe('fleet upgrades from the hub', () => {
  let cp: ControlPlane;
  const devices: Device[] = [];
  beforeAll(async () => {
    cp = await startControlPlane();
    for (const id of ['edge-a', 'edge-b', 'edge-c']) {
      const enrolled = await enrollDevice(cp, id);
      if (id === 'edge-c') {
        // edge-c trusts another key than the hub's: every build the hub signs fails its check.
        const file = join(enrolled.stateDir, 'credential.json');
        const credential = JSON.parse(readFileSync(file, 'utf8')) as { upgradeKey?: string };
        expect(credential.upgradeKey).toContain('BEGIN PUBLIC KEY');
        const other = generateKeyPairSync('ed25519')
          .publicKey.export({ type: 'spki', format: 'pem' })
          .toString();
        writeFileSync(file, JSON.stringify({ ...credential, upgradeKey: other }), { mode: 0o600 });
      }
      devices.push(await runDevice(enrolled));
    }
    await waitFor(async () => Object.keys(await versions(cp)).length === 3, 'three agents online');
  });
  afterAll(stopAll);

  it('upgrades a fleet to a good build from the CLI: the canary first, then the rest', async () => {
    const good = buildWithVersion('0.1.1');
    const res = await runNode([
      CP_BIN,
      'agents',
      'upgrade',
      '--data-dir',
      cp.dataDir,
      '--file',
      good,
      '--agents',
      'edge-a,edge-b',
      '--canary',
      '1',
    ]);
    expect(res.code, res.stderr).toBe(0);
    const started = JSON.parse(res.stdout) as Rollout;
    expect(started.targets.map((t) => t.agentId)).toEqual(['edge-a', 'edge-b']);
    // Only the canary is sent the build at first.
    expect(started.targets.map((t) => t.state)).toEqual(['sending', 'pending']);
    const done = await rollout(cp, started.id, (r) => r.state !== 'running', 'the rollout finished');
    expect(done.state, JSON.stringify(done)).toBe('done');
    expect(done.targets.map((t) => [t.agentId, t.state, t.version])).toEqual([
      ['edge-a', 'upgraded', '0.1.1'],
      ['edge-b', 'upgraded', '0.1.1'],
    ]);
    await waitFor(async () => {
      const v = await versions(cp);
      return v['edge-a'] === '0.1.1' && v['edge-b'] === '0.1.1' && v['edge-c'] === '0.1.0';
    }, 'the hub seeing the new versions');
    // Swapped on disk, the previous build kept for a rollback; the old process handed over and exited.
    const [a] = devices;
    expect(readFileSync(a!.bundle, 'utf8')).toContain('var AGENT_VERSION="0.1.1"');
    expect(readFileSync(`${a!.bundle}.previous`, 'utf8')).toContain(VERSION_LITERAL);
    await waitFor(() => a!.proc.child.exitCode === 0, 'the old build exited');
    expect(a!.proc.stderr()).toContain('the new build connected: this one exits');
  });

  it('refuses a build whose signature does not verify, and the hub audits it', async () => {
    const started = await startUpgrade(cp, buildWithVersion('0.1.2'), 'agents=edge-c&canary=1');
    const done = await rollout(cp, started.id, (r) => r.state !== 'running', 'the rollout stopped');
    expect(done.state).toBe('stopped');
    const [target] = done.targets;
    expect(target?.state).toBe('refused');
    expect(target?.reason).toContain('signature does not verify');
    expect(target?.fetchedBytes).toBe(0); // refused before a byte was sent
    const audit = await cp.api<{ entries: Array<{ kind: string; agentId: string | null }> }>(
      '/api/v1/audit?kind=upgrade-refused',
    );
    expect(audit.body.entries.map((e) => e.agentId)).toContain('edge-c');
    expect((await versions(cp))['edge-c']).toBe('0.1.0');
    expect(readFileSync(devices[2]!.bundle, 'utf8')).toBe(BUNDLE);
  });

  it('rolls back a build that never connects and stops the rollout at the canary', async () => {
    const broken = join(tempDir('tether-build-'), 'tether-agent.mjs');
    writeFileSync(broken, '// a build that starts and never connects\nsetInterval(() => {}, 1000);\n');
    const started = await startUpgrade(cp, broken, 'agents=edge-a,edge-b&canary=1&deadlineMs=2000');
    const done = await rollout(cp, started.id, (r) => r.state !== 'running', 'the rollout stopped').catch(
      (err: Error) => {
        throw new Error(`${err.message}\n${devices[0]!.proc.stderr().slice(-4000)}`);
      },
    );
    expect(done.state).toBe('stopped');
    expect(done.targets.map((t) => [t.agentId, t.state])).toEqual([
      ['edge-a', 'rolled-back'],
      ['edge-b', 'skipped'],
    ]);
    expect(done.targets[0]?.reason).toContain('did not connect within 2000 ms');
    // The previous build is back on disk and running: edge-a reconnects with it.
    const bundle = devices[0]!.bundle;
    expect(readFileSync(bundle, 'utf8')).toContain('var AGENT_VERSION="0.1.1"');
    expect(existsSync(`${bundle}.previous`)).toBe(false);
    await waitFor(async () => (await versions(cp))['edge-a'] === '0.1.1', 'edge-a online again on 0.1.1');
  });

  it('cancels a running rollout, and times out at the hub an agent that never answers its offer', async () => {
    // Agents that take no upgrades (a build older than upgrades, or a device whose process died mid-hand-over):
    // connected, silent.
    const silent = await Promise.all(
      ['old-1', 'old-2'].map(async (id) => {
        const conn = await connectRaw(cp.mqttUrl, id, await cp.addAgent(id));
        if (!conn.ok) throw new Error(conn.error);
        return conn.client;
      }),
    );
    try {
      const build = buildWithVersion('0.1.3');
      const slow = await startUpgrade(cp, build, 'agents=old-1,old-2&canary=1&deadlineMs=60000');
      expect(slow.targets.map((t) => t.state)).toEqual(['sending', 'pending']);
      const cancel = (id: string) => cp.fetch(`/api/v1/upgrades/${id}/cancel`, { method: 'POST' });
      const cancelled = await cancel(slow.id);
      expect(cancelled.status).toBe(200);
      const body = (await cancelled.json()) as Rollout;
      expect(body.state).toBe('stopped');
      expect(body.reason).toMatch(/^cancelled by /);
      expect(body.targets.map((t) => t.state)).toEqual(['sending', 'skipped']);
      expect((await cancel(slow.id)).status).toBe(409);
      expect((await cancel('up-nosuchrollout')).status).toBe(404);

      // deadline 1 s: silent for 2 x 1 s + 5 s, the canary counts as failed and the rollout stops.
      const started = await startUpgrade(cp, build, 'agents=old-1,old-2&canary=1&deadlineMs=1000');
      const done = await rollout(cp, started.id, (r) => r.state !== 'running', 'the rollout stopped');
      expect(done.targets.map((t) => [t.agentId, t.state])).toEqual([
        ['old-1', 'timed-out'],
        ['old-2', 'skipped'],
      ]);
      expect(done.targets[0]?.reason).toContain('no word from the agent for 7 s');
      const audit = await cp.api<{ entries: Array<{ kind: string; agentId: string | null }> }>(
        '/api/v1/audit?kind=upgrade-timed-out',
      );
      expect(audit.body.entries.map((e) => e.agentId)).toEqual(['old-1']);
    } finally {
      for (const client of silent) client.end(true);
    }
  });
});
