import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '@tether/shared';
import { runCp } from '../helpers/cli.js';
import { AGENT_BIN, ROOT, runNode, stopAll, tempDir } from '../helpers/processes.js';
import { startControlPlane, startEdge, type ControlPlane } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

const version = (pkg: string): string =>
  (JSON.parse(readFileSync(join(ROOT, pkg, 'package.json'), 'utf8')) as { version: string }).version;

/** The rows of a CLI table: the header's columns, then one record per line. */
function tableRows(text: string): Record<string, string>[] {
  const [header = '', ...lines] = text.trim().split('\n');
  const starts = [...header.matchAll(/\S+( \S+)*/g)].map((m) => ({ name: m[0], at: m.index }));
  return lines.map((line) =>
    Object.fromEntries(
      starts.map((c, i) => [c.name, line.slice(c.at, starts[i + 1]?.at ?? undefined).trim()]),
    ),
  );
}

// The operator's CLI against a real control plane and agent: versions, the data dir from the environment or
// ./data, lists as tables or JSON, grants revoked, and an error that names the flag to change.
describe('tether-cp and tether-agent command lines', () => {
  let cp: ControlPlane;

  beforeAll(async () => {
    cp = await startControlPlane();
    await cp.addAgent('edge-gone');
    const secret = await cp.addAgent('edge-up');
    await startEdge({ id: 'edge-up', secret, url: cp.mqttUrl, site: 'berlin', labels: { tier: 'gold' } });
    await waitFor(
      async () => (await cp.api<{ status: string }>('/api/v1/agents/edge-up')).body.status === 'online',
      'edge-up online',
    );
  });

  afterAll(stopAll);

  it('both print their version with --version', async () => {
    expect((await runCp(['--version'])).stdout.trim()).toBe(version('control-plane'));
    expect((await runNode([AGENT_BIN, '--version'])).stdout.trim()).toBe(version('agent'));
  });

  it('lists agents with their states as a table and as JSON; a revoked one says so, with the date', async () => {
    const revoked = await runCp(['agent', 'revoke', 'edge-gone', '--data-dir', cp.dataDir]);
    expect(revoked.code, revoked.stderr).toBe(0);
    const table = await runCp(['agent', 'list'], 15_000, { env: { TETHER_DATA_DIR: cp.dataDir } });
    expect(table.code, table.stderr).toBe(0);
    const rows = tableRows(table.stdout);
    expect(rows.find((r) => r.ID === 'edge-up')).toMatchObject({
      STATE: 'online',
      SITE: 'berlin',
      LABELS: 'tier=gold',
    });
    const gone = rows.find((r) => r.ID === 'edge-gone');
    expect(gone?.STATE).toBe('revoked');
    expect(gone?.REVOKED).toMatch(/^\d{4}-\d\d-\d\dT/);

    const json = await runCp(['agent', 'list', '--json', '--data-dir', cp.dataDir]);
    const { agents } = JSON.parse(json.stdout) as { agents: { id: string; revokedAt: string | null }[] };
    expect(agents.map((a) => a.id).sort()).toEqual(['edge-gone', 'edge-up']);
    expect(agents.find((a) => a.id === 'edge-gone')?.revokedAt).toBe(gone?.REVOKED);

    const filtered = await runCp(['agent', 'list', '--json', '--state', 'revoked', '--data-dir', cp.dataDir]);
    const only = JSON.parse(filtered.stdout) as { agents: { id: string }[] };
    expect(only.agents.map((a) => a.id)).toEqual(['edge-gone']);
    const bySite = await runCp(['agent', 'list', '--json', '--site', 'berlin', '--data-dir', cp.dataDir]);
    expect((JSON.parse(bySite.stdout) as { agents: { id: string }[] }).agents.map((a) => a.id)).toEqual([
      'edge-up',
    ]);
  });

  it('lists grants and revokes one by its token: it no longer enrolls anything', async () => {
    const created = await runCp(['grant', 'create', '--data-dir', cp.dataDir, '--site', 'paris']);
    const { grant } = JSON.parse(created.stdout) as { grant: string };
    const listed = tableRows((await runCp(['grant', 'list', '--data-dir', cp.dataDir])).stdout);
    expect(listed).toContainEqual(expect.objectContaining({ STATE: 'valid', SITE: 'paris' }));

    const revoked = await runCp(['grant', 'revoke', grant, '--data-dir', cp.dataDir]);
    expect(revoked.code, revoked.stderr).toBe(0);
    const again = await runCp(['grant', 'revoke', grant, '--data-dir', cp.dataDir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/not found: `tether-cp grant list` shows the grants/);
    const enroll = await fetch(`${cp.apiBase}/api/v1/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ v: PROTOCOL_VERSION, grant }),
    });
    expect(enroll.status).toBe(401);
    const audit = await cp.api<{ entries: { actor: string }[] }>('/api/v1/audit?kind=grant-revoked');
    expect(audit.body.entries.map((e) => e.actor)).toEqual(['cli']);
  });

  it('lists tokens as a table or JSON, never the secret', async () => {
    const table = await runCp(['token', 'list', '--data-dir', cp.dataDir]);
    expect(tableRows(table.stdout)).toContainEqual(
      expect.objectContaining({ NAME: 'bootstrap-admin', ROLE: 'admin' }),
    );
    const json = await runCp(['token', 'list', '--json', '--data-dir', cp.dataDir]);
    expect(JSON.parse(json.stdout)).toMatchObject({ tokens: [{ name: 'bootstrap-admin', role: 'admin' }] });
    expect(table.stdout + json.stdout).not.toContain(cp.token);
  });

  it('works on ./data by default, and says which flag to pass when there is none', async () => {
    const cwd = tempDir('tether-cli-cwd-');
    const missing = await runCp(['token', 'list'], 15_000, { cwd });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no data dir at \.\/data: pass --data-dir DIR or set TETHER_DATA_DIR/);
    mkdirSync(join(cwd, 'data'));
    expect(
      (await runCp(['token', 'create', '--role', 'viewer', '--name', 'here'], 15_000, { cwd })).code,
    ).toBe(0);
    const listed = await runCp(['token', 'list', '--json'], 15_000, {
      env: { TETHER_DATA_DIR: join(cwd, 'data') },
    });
    expect(JSON.parse(listed.stdout)).toMatchObject({ tokens: [{ name: 'here', role: 'viewer' }] });
  });

  it('a port in use names the flag that sets it', async () => {
    const port = new URL(cp.apiBase).port;
    const res = await runCp(['serve', '--data-dir', tempDir(), '--http-port', port, '--mqtt-port', '0']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(
      new RegExp(
        `cannot listen for http on 127\\.0\\.0\\.1:${port}: the port is in use \\(EADDRINUSE\\); .*--http-port`,
      ),
    );
  });
});
