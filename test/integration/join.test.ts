import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_BUNDLE, CP_BIN, runNode, spawnNode, stopAll, tempDir } from '../helpers/processes.js';
import { startControlPlane, type ControlPlane } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

interface NewGrant {
  grant: string;
  expiresAt: string;
  join?: string;
}
interface AgentView {
  id: string;
  status: string;
  site: string | null;
  version: string | null;
}

async function grantCreate(dataDir: string, ...args: string[]): Promise<NewGrant> {
  const res = await runNode([CP_BIN, 'grant', 'create', '--data-dir', dataDir, ...args]);
  expect(res.code, res.stderr).toBe(0);
  return JSON.parse(res.stdout.trim()) as NewGrant;
}

/** The arguments of a join line as printed, run with the bundle in place of the `tether-agent` on a device's PATH. */
function joinArgs(line: string): string[] {
  const [command, verb, ...rest] = line.split(' ');
  expect([command, verb]).toEqual(['tether-agent', 'join']);
  return [AGENT_BUNDLE, 'join', ...rest];
}

const systemdAnalyze = (() => {
  try {
    execFileSync('systemd-analyze', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('joining a device in one command', () => {
  let cp: ControlPlane;
  beforeAll(async () => {
    cp = await startControlPlane();
  });
  afterAll(stopAll);

  it('runs from the grant string alone: the grant carries where to enroll; again on the same state dir it just runs', async () => {
    const made = await grantCreate(cp.dataDir, '--site', 'berlin');
    expect(made.join).toBe(`tether-agent join ${made.grant}`);
    const stateDir = join(tempDir('tether-join-'), 'state');
    // Only the printed line, a state dir and a free API port: no URL, id or secret anywhere.
    const agent = await spawnNode([...joinArgs(made.join!), '--state-dir', stateDir, '--api-port', '0']);
    const view = await waitFor(async () => {
      const res = await cp.api<{ agents: AgentView[] }>('/api/v1/agents');
      return res.body.agents.find((a) => a.status === 'online');
    }, 'the joined agent online at the hub');
    expect(view.site).toBe('berlin');
    expect(agent.stderr()).toContain('connected to the control plane');
    expect(statSync(join(stateDir, 'credential.json')).mode & 0o777).toBe(0o600);
    await agent.stop();

    // A service restarting runs the same line again: the grant is spent, the state dir enrolled, so it just runs.
    const again = await spawnNode([...joinArgs(made.join!), '--state-dir', stateDir, '--api-port', '0']);
    expect(again.stderr()).toContain('enrolled already: running');
    await waitFor(async () => {
      const res = await cp.api<AgentView>(`/api/v1/agents/${view.id}`);
      return res.body.status === 'online';
    }, 'the agent online again');
    await again.stop();
  });

  it('the API answers a grant with the join line for the URL the admin used', async () => {
    const res = await cp.api<NewGrant>('/api/v1/grants', { method: 'POST', body: '{}' });
    expect(res.status).toBe(201);
    expect(res.body.join).toBe(`tether-agent join ${res.body.grant}`);
    const encoded = res.body.grant.split('.')[1]!;
    expect(Buffer.from(encoded, 'base64url').toString()).toBe(cp.apiBase);
  });

  it('run on a state dir that never joined says to join first', async () => {
    const stateDir = tempDir('tether-unjoined-');
    const res = await runNode([AGENT_BUNDLE, 'run', '--state-dir', stateDir]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('never joined. Join first: tether-agent join <grant>');
  });

  it('--install-service writes a unit and an env file instead of running; systemd-analyze accepts the unit', async () => {
    const made = await grantCreate(cp.dataDir);
    const stateDir = join(tempDir('tether-join-svc-'), 'state');
    const unitDir = tempDir('tether-units-');
    const res = await runNode([
      ...joinArgs(made.join!),
      '--state-dir',
      stateDir,
      '--service',
      'orders=http://127.0.0.1:8080',
      '--install-service',
      '--unit-dir',
      unitDir,
    ]);
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout.trim()) as { unit: string; envFile: string; start: string };
    const unit = readFileSync(out.unit, 'utf8');
    expect(unit).toContain(`ExecStart=${process.execPath} ${AGENT_BUNDLE} run`);
    expect(unit).toContain(`EnvironmentFile=${join(stateDir, 'agent.env')}`);
    expect(unit).toContain('Restart=always');
    const env = readFileSync(out.envFile, 'utf8');
    expect(env).toContain(`TETHER_STATE_DIR=${stateDir}\n`);
    expect(env).toContain('TETHER_SERVICES=orders=http://127.0.0.1:8080\n');
    expect(existsSync(join(stateDir, 'credential.json'))).toBe(true);
    if (systemdAnalyze) execFileSync('systemd-analyze', ['verify', out.unit], { stdio: 'pipe' });
  });
});
