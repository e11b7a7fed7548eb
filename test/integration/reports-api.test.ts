import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { AGENT_BIN, stopAll } from '../helpers/processes.js';
import { postReports, type ReportRow, type StreamRow } from '../helpers/reports.js';
import { startControlPlane, startEdge, type ControlPlane, type Edge } from '../helpers/tether.js';
import { waitFor } from '../helpers/wait.js';

type Page = { reports: ReportRow[]; nextCursor: string | null };

/** Runs `tether-agent report <stream> --api <api>` with `input` on stdin; bounded in time. */
function runReportCli(
  stream: string,
  api: string,
  input: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [AGENT_BIN, 'report', stream, '--api', api], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(input);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tether-agent report ${stream} did not exit\n${stderr}`));
    }, 15_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Opens a live-tail client and collects its frames. */
async function liveTail(cp: ControlPlane, query: string): Promise<{ ws: WebSocket; frames: ReportRow[] }> {
  // As a browser would: the token as a subprotocol beside tether.v1.
  const ws = new WebSocket(`${cp.apiBase.replace('http', 'ws')}/api/v1/reports/live?${query}`, [
    'tether.v1',
    `bearer.${cp.token}`,
  ]);
  const frames: ReportRow[] = [];
  ws.on('message', (data: Buffer) => frames.push(JSON.parse(data.toString()) as ReportRow));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { ws, frames };
}

/** Every report of one (agent, stream) through the JSON API, in commit order. */
async function rowsOf(cp: ControlPlane, agent: string, stream: string): Promise<ReportRow[]> {
  const out: ReportRow[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const q = `/api/v1/reports?agent=${agent}&stream=${stream}&limit=1000${cursor ? `&cursor=${cursor}` : ''}`;
    const res: { body: Page } = await cp.api<Page>(q);
    out.push(...res.body.reports);
    cursor = res.body.nextCursor;
    if (!cursor) return out;
  }
  throw new Error('too many pages');
}

/** A minimal RFC 4180 parser: quoted fields may hold commas, doubled quotes and newlines. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted && ch === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (ch === '"') {
      quoted = !quoted;
    } else if (quoted || (ch !== ',' && ch !== '\n')) {
      field += ch;
    } else {
      row.push(field);
      field = '';
      if (ch === '\n') {
        rows.push(row);
        row = [];
      }
    }
  }
  expect(field).toBe('');
  return rows;
}

describe('report API: live tail, CLI, query, export, streams', () => {
  let cp: ControlPlane;
  let edge: Edge;
  let other: Edge;

  beforeAll(async () => {
    cp = await startControlPlane();
    const start = async (id: string): Promise<Edge> =>
      startEdge({ id, secret: await cp.addAgent(id), url: cp.mqttUrl, strategy: 'none' });
    [edge, other] = await Promise.all([start('api-a'), start('api-b')]);
  });
  afterAll(stopAll);

  it('the live tail delivers exactly its stream, in order, with the bodies', async () => {
    const s = await liveTail(cp, 'stream=live-s');
    const t = await liveTail(cp, 'stream=live-t');
    const sent: unknown[] = [];
    for (let i = 0; i < 10; i++) {
      const lines = [0, 1, 2].map((k) => ({ n: i * 3 + k, text: `s "${i}",${k}` }));
      expect((await postReports(edge.apiBase, 'live-s', lines)).status).toBe(202);
      sent.push(...lines);
      expect((await postReports(edge.apiBase, 'live-t', [{ t: i }])).status).toBe(202);
    }
    // The sentinel is the last S report: once it arrives, everything committed before it has been sent.
    expect((await postReports(edge.apiBase, 'live-s', [{ end: true }])).status).toBe(202);
    sent.push({ end: true });
    await waitFor(() => s.frames.some((f) => (f.data as { end?: boolean }).end), 'the S sentinel live');
    await waitFor(() => t.frames.length >= 10, 'ten T reports live');
    expect(s.frames.map((f) => f.stream)).toEqual(sent.map(() => 'live-s'));
    expect(s.frames.map((f) => f.data)).toEqual(sent);
    expect(s.frames.map((f) => f.seq)).toEqual(sent.map((_, i) => i + 1));
    expect(s.frames.every((f) => f.agent === 'api-a')).toBe(true);
    expect(t.frames.map((f) => [f.stream, f.data])).toEqual(
      Array.from({ length: 10 }, (_, i) => ['live-t', { t: i }]),
    );
    // The tail holds what the query API holds.
    expect(await rowsOf(cp, 'api-a', 'live-s')).toEqual(s.frames);
    s.ws.close();
    t.ws.close();

    const bad = new WebSocket(`${cp.apiBase.replace('http', 'ws')}/api/v1/reports/live?stream=bad%20name!`, {
      headers: { authorization: `Bearer ${cp.token}` },
    });
    bad.on('error', () => undefined);
    const status = await new Promise<number>((resolve) => {
      bad.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      bad.once('open', () => resolve(101));
    });
    bad.terminate();
    expect(status).toBe(400);
  });

  it('tether-agent report: 1,050 NDJSON lines from stdin are stored in order', async () => {
    const input = Array.from({ length: 1050 }, (_, n) => JSON.stringify({ n })).join('\n');
    const run = await runReportCli('cli-ok', edge.apiBase, `${input}\n\n`);
    expect(run).toMatchObject({ code: 0 });
    expect(JSON.parse(run.stdout)).toEqual({ stream: 'cli-ok', accepted: 1050 });
    const rows = await waitFor(async () => {
      const r = await rowsOf(cp, 'api-a', 'cli-ok');
      return r.length >= 1050 && r;
    }, 'the 1,050 CLI reports stored');
    expect(rows.map((r) => r.data)).toEqual(Array.from({ length: 1050 }, (_, n) => ({ n })));
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 1050 }, (_, n) => n + 1));
  });

  it('tether-agent report: a malformed line fails with exit 1; only the chunks before it are kept', async () => {
    // Line 1,003 is bad: the first request (lines 1-1,000) is accepted, the second is refused whole.
    const lines = Array.from({ length: 1100 }, (_, n) => JSON.stringify({ n }));
    lines[1002] = '{oops';
    const run = await runReportCli('cli-bad', edge.apiBase, `${lines.join('\n')}\n`);
    expect(run.code).toBe(1);
    const summary = JSON.parse(run.stdout) as { accepted: number; error: string };
    expect(summary.accepted).toBe(1000);
    expect(summary.error).toMatch(/^400 .*line 3 is not JSON/);
    // A later good line lands right after the 1,000: the refused chunk left nothing behind.
    const after = await runReportCli('cli-bad', edge.apiBase, '{"after":true}\n');
    expect(after.code).toBe(0);
    const rows = await waitFor(async () => {
      const r = await rowsOf(cp, 'api-a', 'cli-bad');
      return r.length >= 1001 && r;
    }, 'the accepted CLI reports stored');
    expect(rows.map((r) => r.data)).toEqual([
      ...Array.from({ length: 1000 }, (_, n) => ({ n })),
      { after: true },
    ]);
    expect(rows.at(-1)?.seq).toBe(1001);
  });

  it('cursor pages, NDJSON and CSV exports give every row once; /streams counts per (agent, stream)', async () => {
    for (let i = 0; i < 5; i++) {
      const lines = Array.from({ length: 50 }, (_, k) => ({ n: i * 50 + k, note: 'a,"b"\nc' }));
      expect((await postReports(edge.apiBase, 'q', lines)).status).toBe(202);
      expect((await postReports(other.apiBase, 'q', [{ b: i }])).status).toBe(202);
    }
    await waitFor(async () => {
      const res = await cp.api<{ streams: StreamRow[] }>('/api/v1/streams');
      const q = res.body.streams.filter((s) => s.stream === 'q');
      return q.reduce((sum, s) => sum + s.count, 0) === 255;
    }, 'the 255 q reports stored');
    const { body } = await cp.api<{ streams: StreamRow[] }>('/api/v1/streams');
    const mine = (agent: string, stream: string) =>
      body.streams.find((s) => s.agent === agent && s.stream === stream);
    expect(mine('api-a', 'q')).toMatchObject({ count: 250, lastSeq: 250 });
    expect(mine('api-b', 'q')).toMatchObject({ count: 5, lastSeq: 5 });
    expect(mine('api-a', 'cli-ok')).toMatchObject({ count: 1050, lastSeq: 1050 });
    expect(mine('api-a', 'live-t')).toMatchObject({ count: 10, lastSeq: 10 });

    const all = (await cp.api<Page>('/api/v1/reports?stream=q&limit=1000')).body.reports;
    expect(all).toHaveLength(255);
    expect(all.filter((r) => r.agent === 'api-a').map((r) => r.seq)).toEqual(
      Array.from({ length: 250 }, (_, n) => n + 1),
    );
    // Page size 7 does not divide 255: the last page is short and has no next cursor.
    const paged: ReportRow[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 100; page++) {
      const res: { status: number; body: Page } = await cp.api<Page>(
        `/api/v1/reports?stream=q&limit=7${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res.status).toBe(200);
      expect(res.body.reports.length).toBeLessThanOrEqual(7);
      paged.push(...res.body.reports);
      cursor = res.body.nextCursor;
      if (!cursor) break;
    }
    expect(cursor).toBeNull();
    expect(new Set(paged.map((r) => r.id)).size).toBe(255);
    expect(paged).toEqual(all);

    const exported = async (format: string): Promise<string[]> => {
      const bodies: string[] = [];
      let next: string | null = null;
      for (let page = 0; page < 10; page++) {
        const res = await cp.fetch(
          `/api/v1/reports?stream=q&format=${format}&limit=100${next ? `&cursor=${next}` : ''}`,
        );
        expect(res.status).toBe(200);
        bodies.push(await res.text());
        next = res.headers.get('x-next-cursor');
        if (!next) return bodies;
      }
      throw new Error('too many export pages');
    };
    const ndjson = (await exported('ndjson')).flatMap((b) => b.split('\n').filter(Boolean));
    expect(ndjson.map((l) => JSON.parse(l) as unknown)).toEqual(all);

    const csv = (await exported('csv')).flatMap((b) => {
      const [header, ...rows] = parseCsv(b);
      expect(header).toEqual([
        'id',
        'agent',
        'stream',
        'seq',
        'at',
        'receivedAt',
        'contentType',
        'encoding',
        'data',
      ]);
      return rows;
    });
    expect(csv).toHaveLength(255);
    expect(
      csv.map(([id, agent, stream, seq, at, receivedAt, contentType, encoding, data]) => ({
        row: { id: +id!, agent, stream, seq: +seq!, at: +at!, receivedAt: +receivedAt!, contentType },
        encoding,
        data: JSON.parse(data!) as unknown,
      })),
    ).toEqual(all.map(({ data, ...row }) => ({ row, encoding: 'json', data })));
  });
});
