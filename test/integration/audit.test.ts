import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, runCp } from '../helpers/cli.js';
import { connectRaw } from '../helpers/mqtt-client.js';
import { stopAll } from '../helpers/processes.js';
import { startControlPlane, type ControlPlane } from '../helpers/tether.js';

interface Entry {
  id: number;
  at: string;
  lastAt: string;
  kind: string;
  agentId: string | null;
  actor: string | null;
  source: string | null;
  count: number;
  detail: Record<string, unknown> | null;
}
interface Page {
  entries: Entry[];
  nextCursor: string | null;
}

describe('audit log', () => {
  let cp: ControlPlane;
  const audit = async (query = '') => (await cp.api<Page>(`/api/v1/audit${query}`)).body.entries;

  beforeAll(async () => {
    cp = await startControlPlane();
  });
  afterAll(stopAll);

  it('records token, agent and policy changes with their actor, and nothing for a refused change', async () => {
    await createToken(cp.dataDir, 'viewer', 'audit-viewer');
    const made = await cp.api<{ id: string }>('/api/v1/tokens', {
      method: 'POST',
      body: '{"role":"caller","name":"c1"}',
    });
    expect((await cp.api(`/api/v1/tokens/${made.body.id}`, { method: 'DELETE' })).status).toBe(204);
    await cp.addAgent('aud-1');
    expect((await runCp(['agent', 'add', 'aud-2', '--data-dir', cp.dataDir])).code).toBe(0);
    const put = await cp.api('/api/v1/services/orders/policy', {
      method: 'PUT',
      body: '{"localFirst":false}',
    });
    expect(put.status).toBe(200);
    expect((await cp.api('/api/v1/services/orders/policy', { method: 'DELETE' })).status).toBe(204);
    // Refused changes write no audit row.
    expect(
      (await cp.api('/api/v1/services/orders/policy', { method: 'PUT', body: '{"tiers":7}' })).status,
    ).toBe(400);
    expect((await cp.api('/api/v1/agents', { method: 'POST', body: '{"id":"aud-1"}' })).status).toBe(409);

    const rows = (await audit()).map((e) => [
      e.kind,
      e.actor,
      e.agentId ?? e.detail?.name ?? e.detail?.service,
    ]);
    expect(rows).toEqual([
      ['token-created', 'bootstrap', 'bootstrap-admin'],
      ['token-created', 'cli', 'audit-viewer'],
      ['token-created', 'token:bootstrap-admin', 'c1'],
      ['token-deleted', 'token:bootstrap-admin', 'c1'],
      ['agent-created', 'token:bootstrap-admin', 'aud-1'],
      ['agent-created', 'cli', 'aud-2'],
      ['policy-set', 'token:bootstrap-admin', 'orders'],
      ['policy-deleted', 'token:bootstrap-admin', 'orders'],
    ]);
    expect(JSON.stringify(await audit())).not.toMatch(/tether_[A-Za-z0-9_-]{20}/);
  });

  it('coalesces authentication failures and denials (MQTT and HTTP) into few rows with counts', async () => {
    const secret = await cp.addAgent('aud-3');
    for (let i = 0; i < 3; i++) expect((await connectRaw(cp.mqttUrl, 'aud-3', 'wrong')).ok).toBe(false);
    expect((await connectRaw(cp.mqttUrl, 'ghost', 'x')).ok).toBe(false);
    for (let i = 0; i < 300; i++) {
      const res = await fetch(`${cp.apiBase}/api/v1/agents`, {
        headers: { authorization: 'Bearer tether_forged' },
      });
      expect(res.status).toBe(401);
    }
    const viewer = await createToken(cp.dataDir, 'viewer', 'v2');
    const forbidden = await fetch(`${cp.apiBase}/api/v1/agents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${viewer}` },
      body: '{"id":"x"}',
    });
    expect(forbidden.status).toBe(403);
    const conn = await connectRaw(cp.mqttUrl, 'aud-3', secret);
    if (!conn.ok) throw new Error(conn.error);
    await conn.client.subscribeAsync('#', { qos: 1 }).catch(() => undefined);
    conn.client.end(true);

    const failures = await audit('?kind=auth-failed');
    // One row per minute and identical event (two if the test straddles a minute).
    const sum = (rows: Entry[]) => rows.reduce((n, e) => n + e.count, 0);
    const mqttBad = failures.filter((e) => e.agentId === 'aud-3');
    expect(mqttBad.length).toBeLessThanOrEqual(2);
    expect(sum(mqttBad)).toBe(3);
    expect(mqttBad[0]).toMatchObject({ detail: { via: 'mqtt', reason: 'bad_secret' } });
    expect(failures.some((e) => e.detail?.username === 'ghost' && e.detail.reason === 'unknown_agent')).toBe(
      true,
    );
    const http = failures.filter((e) => e.detail?.via === 'http');
    expect(http.length).toBeLessThanOrEqual(2);
    expect(sum(http)).toBe(300);
    const denied = await audit('?kind=acl-denied');
    expect(
      denied.map((e) => [e.actor ?? e.agentId, e.detail?.via, e.detail?.action ?? e.detail?.role]),
    ).toEqual([
      ['token:v2', 'http', 'viewer'],
      ['aud-3', 'mqtt', 'subscribe'],
    ]);
  });

  it('filters by agent, kind and since, pages with a cursor, and is admin-only', async () => {
    const byAgent = await audit('?agent=aud-1');
    expect(byAgent.map((e) => e.kind)).toEqual(['agent-created']);
    const all = await audit();
    const mid = all[Math.floor(all.length / 2)]!;
    const since = await audit(`?since=${encodeURIComponent(mid.at)}`);
    expect(since.every((e) => Date.parse(e.lastAt) >= Date.parse(mid.at))).toBe(true);
    expect(since.map((e) => e.id)).toContain(mid.id);
    expect(since.length).toBeLessThan(all.length);
    const paged: Entry[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 50; i++) {
      const page: Page = (await cp.api<Page>(`/api/v1/audit?limit=2${cursor ? `&cursor=${cursor}` : ''}`))
        .body;
      paged.push(...page.entries);
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    expect(paged.map((e) => e.id)).toEqual(all.map((e) => e.id));
    expect((await cp.api('/api/v1/audit?kind=nope')).status).toBe(400);
    expect((await cp.api('/api/v1/audit?limit=0')).status).toBe(400);
  });

  it('records grants created, redeemed and refused, and credential rotations, never a grant or secret', async () => {
    const viaApi = await cp.api<{ grant: string }>('/api/v1/grants', {
      method: 'POST',
      body: '{"site":"s1"}',
    });
    expect(viaApi.status).toBe(201);
    const viaCli = await runCp(['grant', 'create', '--data-dir', cp.dataDir, '--id', 'aud-g2']);
    expect(viaCli.code).toBe(0);
    const enroll = (grant: string, id: string) =>
      cp.api<{ id: string; secret: string }>('/api/v1/enroll', {
        method: 'POST',
        body: JSON.stringify({ v: 1, grant, id }),
      });
    const enrolled = await enroll(viaApi.body.grant, 'aud-g1');
    expect(enrolled.status).toBe(201);
    expect((await enroll(viaApi.body.grant, 'aud-g3')).status).toBe(409);
    expect((await cp.api('/api/v1/agents/aud-g1/rotate', { method: 'POST' })).status).toBe(202);

    const kinds = 'grant-created,grant-redeemed,grant-refused,credential-rotated'.split(',');
    // Refusals are coalesced and written up to a second later: compare in the order of `kinds`.
    const rows = (await audit())
      .filter((e) => kinds.includes(e.kind))
      .sort((a, b) => kinds.indexOf(a.kind) - kinds.indexOf(b.kind) || a.id - b.id);
    expect(rows.map((e) => [e.kind, e.actor, e.agentId])).toEqual([
      ['grant-created', 'token:bootstrap-admin', null],
      ['grant-created', 'cli', 'aud-g2'],
      ['grant-redeemed', 'enroll', 'aud-g1'],
      ['grant-refused', null, null],
      ['credential-rotated', 'token:bootstrap-admin', 'aud-g1'],
    ]);
    expect(rows[3]?.detail?.reason).toBe('conflict');
    expect(rows[4]?.detail?.state).toBe('pending');
    const text = JSON.stringify(rows);
    // tg2.<origin>.<id>.<secret>[.<pin>]: the id is audited, the secret never.
    expect(text).not.toContain(viaApi.body.grant.split('.')[3]!);
    expect(text).not.toContain(enrolled.body.secret);
  });

  it('keeps the SQLite files and the admin token readable by the owner only', () => {
    for (const f of ['tether.db', 'tether.db-wal', 'tether.db-shm', 'admin-token'])
      expect((statSync(join(cp.dataDir, f)).mode & 0o777).toString(8), f).toBe('600');
  });
});
