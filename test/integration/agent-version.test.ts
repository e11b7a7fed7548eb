import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_BUNDLE, ROOT, spawnNode, stopAll, tempDir } from '../helpers/processes.js';
import { startControlPlane, type ControlPlane } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

/** The bundle rebuilt as if it were version `version`: its defined AGENT_VERSION replaced, its addon beside it. */
function bundleOfVersion(version: string): string {
  const own = (JSON.parse(readFileSync(join(ROOT, 'agent', 'package.json'), 'utf8')) as { version: string })
    .version;
  const text = readFileSync(AGENT_BUNDLE, 'utf8');
  const defined = `var AGENT_VERSION=${JSON.stringify(own)};`;
  expect(text).toContain(defined);
  const dir = tempDir('tether-agent-version-');
  writeFileSync(
    join(dir, 'tether-agent.mjs'),
    text.replace(defined, `var AGENT_VERSION=${JSON.stringify(version)};`),
  );
  copyFileSync(join(AGENT_BUNDLE, '..', 'better_sqlite3.node'), join(dir, 'better_sqlite3.node'));
  return join(dir, 'tether-agent.mjs');
}

interface AuditEntry {
  kind: string;
  agentId: string | null;
  detail: Record<string, unknown> | null;
}

describe('agent versions the hub refuses', () => {
  let cp: ControlPlane;
  beforeAll(async () => {
    cp = await startControlPlane();
  });
  afterAll(stopAll);

  it('an agent newer than the hub accepts is told why, audited once and disconnected; it ends up offline', async () => {
    const id = 'ver-new';
    const secret = await cp.addAgent(id);
    const bundle = bundleOfVersion('9.0.0');
    const args = [bundle, 'run', '--control-plane', cp.mqttUrl, '--id', id, '--api-port', '0'];
    const agent = await spawnNode([...args, '--state-dir', join(tempDir(), 'state')], {
      TETHER_SECRET: secret,
    });
    await waitFor(
      () => agent.stderr().includes('upgrade the control plane first'),
      'the refusal in the agent log',
    );
    expect(agent.stderr()).toContain('version_refused');
    const entries = await waitFor(async () => {
      const res = await cp.api<{ entries: AuditEntry[] }>(
        `/api/v1/audit?kind=agent-version-refused&agent=${id}`,
      );
      return res.body.entries.length > 0 && res.body.entries;
    }, 'the audit entry');
    expect(entries).toHaveLength(1);
    expect(entries[0]!.detail).toMatchObject({ version: '9.0.0' });
    const view = await waitFor(async () => {
      const res = await cp.api<{ status: string; version: string | null }>(`/api/v1/agents/${id}`);
      return res.body.status !== 'online' && res.body;
    }, 'the agent not online');
    expect(view.version).toBe('9.0.0');
    await agent.stop();
  });
});
