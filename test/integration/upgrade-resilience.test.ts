import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectRaw } from '../helpers/mqtt-client.js';
import { ROOT, stopAll } from '../helpers/processes.js';
import { startControlPlane } from '../helpers/tether.js';
import {
  buildWithVersion,
  enrollDevice,
  rollout,
  runDevice,
  startUpgrade,
  versions,
} from '../helpers/upgrades.js';
import { waitFor } from '../helpers/wait.js';

/** What `pnpm build` makes on linux-x64 with a node that supports it (agent/scripts/single-executable.js). */
const AGENT_SEA = join(ROOT, 'agent', 'dist', 'tether-agent');

/** The pid the log line `msg` of a JSON log (stderr) names. */
function loggedPid(stderr: string, msg: string): number {
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { msg?: string; pid?: number };
    if (entry.msg === msg && entry.pid !== undefined) return entry.pid;
  }
  throw new Error(`no "${msg}" line in\n${stderr.slice(-4000)}`);
}

describe('fleet upgrades that must survive their circumstances', () => {
  afterAll(stopAll);

  it.skipIf(!existsSync(AGENT_SEA))(
    'the single executable replaces its own file: the old inode runs until the new build connected, then exits',
    async () => {
      const cp = await startControlPlane();
      const device = await runDevice(await enrollDevice(cp, 'sea-1', AGENT_SEA));
      await waitFor(async () => (await versions(cp))['sea-1'] === '0.1.0', 'sea-1 online on 0.1.0');
      const oldPid = device.proc.child.pid!;
      const oldInode = statSync(device.bundle).ino;
      // The process runs the device's file itself (process.execPath), not a node beside it.
      expect(statSync(`/proc/${oldPid}/exe`).ino).toBe(oldInode);

      const next = buildWithVersion('0.1.1', AGENT_SEA);
      const started = await startUpgrade(cp, next, 'agents=sea-1&canary=1&deadlineMs=20000');
      const done = await rollout(cp, started.id, (r) => r.state !== 'running', 'the rollout finished');
      expect(done.state, JSON.stringify(done)).toBe('done');
      expect(done.targets.map((t) => [t.agentId, t.state, t.version])).toEqual([
        ['sea-1', 'upgraded', '0.1.1'],
      ]);
      await waitFor(async () => (await versions(cp))['sea-1'] === '0.1.1', 'the hub seeing 0.1.1');

      // On disk: the new executable renamed over the old name (a new inode), the old inode kept as .previous.
      expect(statSync(device.bundle).ino).not.toBe(oldInode);
      expect(statSync(`${device.bundle}.previous`).ino).toBe(oldInode);
      expect(readFileSync(device.bundle).equals(readFileSync(next))).toBe(true);
      // The old process handed over only once the new one connected, then exited; the new one runs the new file.
      await waitFor(() => device.proc.child.exitCode === 0, 'the old executable exited');
      expect(device.proc.stderr()).toContain('the new build connected: this one exits');
      const newPid = loggedPid(device.proc.stderr(), 'started the new build');
      expect(newPid).not.toBe(oldPid);
      expect(statSync(`/proc/${newPid}/exe`).ino).toBe(statSync(device.bundle).ino);
    },
  );

  it('a control plane killed mid-rollout resumes it after its restart, and times out the agent that never returns', async () => {
    const cp = await startControlPlane();
    const mqttPort = Number(new URL(cp.mqttUrl).port);
    const devices = await Promise.all(
      ['r-1', 'r-2'].map(async (id) => runDevice(await enrollDevice(cp, id))),
    );
    // An agent that is sent a build and is never heard from again (a device that died as the hub went down).
    const ghost = await connectRaw(cp.mqttUrl, 'ghost', await cp.addAgent('ghost'));
    if (!ghost.ok) throw new Error(ghost.error);
    await waitFor(async () => {
      const v = await versions(cp);
      return v['r-1'] === '0.1.0' && v['r-2'] === '0.1.0';
    }, 'both devices online');

    const build = buildWithVersion('0.1.1');
    const fleet = await startUpgrade(cp, build, 'agents=r-1,r-2&canary=1&deadlineMs=15000');
    expect(fleet.targets.map((t) => t.state)).toEqual(['sending', 'pending']);
    const lost = await startUpgrade(cp, build, 'agents=ghost&canary=1&deadlineMs=1000');
    expect(lost.targets.map((t) => t.state)).toEqual(['sending']);
    // kill -9 while the canary is being sent its build, then the same data dir and MQTT port again.
    expect(await cp.proc.stop('SIGKILL')).toBeNull();
    ghost.client.end(true);
    const again = await startControlPlane({ dataDir: cp.dataDir, args: ['--mqtt-port', String(mqttPort)] });

    // The persisted rollout goes on: the canary is offered the build again when it reconnects, then the rest.
    const done = await rollout(
      again,
      fleet.id,
      (r) => r.state !== 'running',
      'the rollout finished after the restart',
    ).catch(async (err: Error) => {
      const now = await again.api(`/api/v1/upgrades/${fleet.id}`);
      const logs = devices.map((d) => `${d.id}:\n${d.proc.stderr().slice(-3000)}`).join('\n');
      throw new Error(
        `${err.message}\n${JSON.stringify(now.body)}\n${logs}\nhub:\n${again.proc.stderr().slice(-3000)}`,
      );
    });
    expect(done.state, JSON.stringify(done)).toBe('done');
    expect(done.targets.map((t) => [t.agentId, t.state, t.version])).toEqual([
      ['r-1', 'upgraded', '0.1.1'],
      ['r-2', 'upgraded', '0.1.1'],
    ]);
    await waitFor(async () => {
      const v = await versions(again);
      return v['r-1'] === '0.1.1' && v['r-2'] === '0.1.1';
    }, 'both devices online on 0.1.1');
    for (const device of devices) expect(readFileSync(device.bundle).equals(readFileSync(build))).toBe(true);

    // The agent that never came back is not waited for forever: silent past 2 x 1 s + 5 s, it timed out.
    const stopped = await rollout(again, lost.id, (r) => r.state !== 'running', 'the lost rollout stopped');
    expect(stopped.state).toBe('stopped');
    expect(stopped.targets.map((t) => [t.agentId, t.state])).toEqual([['ghost', 'timed-out']]);
    expect(stopped.targets[0]?.reason).toContain('no word from the agent for 7 s');
  });
});
