import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { openApiStream, type ApiStream } from '../helpers/api-stream.js';
import { runCp } from '../helpers/cli.js';
import { stopAll, tempDir } from '../helpers/processes.js';
import { createTokens, http, startControlPlane, type ControlPlane } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

describe('WebSockets of a deleted API token are closed', () => {
  let cp: ControlPlane;
  let viewers: Record<'kept' | 'viaApi' | 'viaCli', { id: string; token: string }>;
  let kept: ApiStream;

  beforeAll(async () => {
    cp = await startControlPlane();
    viewers = await createTokens(cp, 'viewer', ['kept', 'viaApi', 'viaCli']);
    kept = await openApiStream(cp, '/api/v1/events', viewers.kept.token, 'header');
  });
  afterAll(async () => {
    kept?.ws.terminate();
    await stopAll();
  });

  /** The kept viewer's stream is still open and still carries events. */
  const keptStillStreams = async (service: string) => {
    expect(kept.closed).toBeUndefined();
    const res = await cp.api('/api/v1/services', {
      method: 'POST',
      body: JSON.stringify({ name: service, url: 'http://127.0.0.1:9' }),
    });
    expect(res.status).toBe(201);
    await waitFor(() => kept.frames.some((f) => f.includes(service)), `the kept stream to see ${service}`);
    expect(kept.ws.readyState).toBe(WebSocket.OPEN);
  };

  it('DELETE /api/v1/tokens/:id closes its event and live-report streams with 4401 "token revoked"; audited', async () => {
    const events = await openApiStream(cp, '/api/v1/events', viewers.viaApi.token, 'subprotocol');
    const live = await openApiStream(cp, '/api/v1/reports/live', viewers.viaApi.token, 'header');
    const res = await cp.api(`/api/v1/tokens/${viewers.viaApi.id}`, { method: 'DELETE' });
    expect(res.status).toBe(204);
    for (const [what, s] of [
      ['events', events],
      ['live', live],
    ] as const) {
      const closed = await waitFor(() => s.closed, `the ${what} stream of the deleted token to close`);
      expect(closed).toEqual({ code: 4401, reason: 'token revoked' });
    }
    const audit = await cp.api<{ entries: { kind: string; actor: string; detail: { tokenId?: string } }[] }>(
      '/api/v1/audit?kind=token-deleted',
    );
    expect(audit.body.entries).toEqual([
      expect.objectContaining({
        kind: 'token-deleted',
        actor: 'token:bootstrap-admin',
        detail: expect.objectContaining({ tokenId: viewers.viaApi.id }) as unknown,
      }),
    ]);
    // A new stream with the deleted token is refused at the upgrade, as before.
    await expect(openApiStream(cp, '/api/v1/events', viewers.viaApi.token, 'subprotocol')).rejects.toThrow(
      /401/,
    );
    await keptStillStreams('after-api-delete');
  });

  it('`tether-cp token delete` on the data dir (another process) closes its stream within a bounded wait', async () => {
    const events = await openApiStream(cp, '/api/v1/events', viewers.viaCli.token, 'subprotocol');
    const res = await runCp(['token', 'delete', viewers.viaCli.id, '--data-dir', cp.dataDir]);
    expect(res.code).toBe(0);
    const closed = await waitFor(() => events.closed, 'the stream of the token deleted by the CLI to close', {
      timeoutMs: 5_000,
    });
    expect(closed).toEqual({ code: 4401, reason: 'token revoked' });
    const audit = await cp.api<{ entries: { actor: string; detail: { tokenId?: string } }[] }>(
      '/api/v1/audit?kind=token-deleted',
    );
    expect(audit.body.entries.find((e) => e.detail.tokenId === viewers.viaCli.id)).toMatchObject({
      actor: 'cli',
    });
    await keptStillStreams('after-cli-delete');
  });

  it("`tether-cp apply` changing a token's role (another process) closes the streams opened with the old role", async () => {
    const { demoted } = await createTokens(cp, 'admin', ['demoted']);
    const events = await openApiStream(cp, '/api/v1/events', demoted.token, 'header');
    const file = join(tempDir('tether-role-'), 'network.yaml');
    writeFileSync(file, 'tokens:\n  - { name: demoted, role: viewer }\n');
    const res = await runCp(['apply', '-f', file, '--data-dir', cp.dataDir]);
    expect(res.code, res.stderr).toBe(0);
    const closed = await waitFor(() => events.closed, 'the stream opened as admin to close', {
      timeoutMs: 5_000,
    });
    expect(closed).toEqual({ code: 4401, reason: 'token role changed: reconnect' });
    // Reopened, it is authorised with the role the token holds now.
    const again = await openApiStream(cp, '/api/v1/events', demoted.token, 'header');
    const whoami = await http<{ token: { role: string } }>(cp.apiBase, '/api/v1/whoami', {}, demoted.token);
    expect(whoami.body.token.role).toBe('viewer');
    again.ws.terminate();
    await keptStillStreams('after-role-change');
  });
});
