/**
 * `pnpm bench:ingest [--reports 100000] [--body 128]`
 *
 * End-to-end reports per second, from the agent's outbox accept (the call behind `POST /v1/reports`, in requests
 * of 100 reports) to the committed control-plane row, with 1, 10 and 100 agents, beside the raw better-sqlite3
 * batched insert rate of the same rows (same schema, WAL + synchronous=FULL, 1000 rows per transaction).
 *
 * The control plane is a real `tether-cp` process. Agents are simulated in THIS process (100 agent processes do
 * not fit on 2 cores): each runs the real agent code, an `Outbox` (its own SQLite file, WAL + FULL, group commit),
 * a `ReportForwarder` and an `MqttTransport` connected over TCP with its own credentials. Only the HTTP hop of the
 * agent API is skipped.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MqttTransport, Outbox, ReportForwarder } from '@tether/agent';
import { openDatabase } from '@tether/control-plane';
import { stopAll, tempDir } from '../helpers/processes.js';
import { startControlPlane, type ControlPlane } from '../helpers/tether.js';
import { sleep } from '../helpers/wait.js';

const { values: opts } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: { reports: { type: 'string', default: '100000' }, body: { type: 'string', default: '128' } },
});
const TOTAL = Number(opts.reports);
const BODY = Number(opts.body);
const PER_REQUEST = 100;
const logger = { warn: () => {}, error: () => {}, debug: () => {} };
const body = (n: number): Buffer =>
  Buffer.from(JSON.stringify({ n, pad: 'x'.repeat(Math.max(0, BODY - 20)) }).slice(0, BODY));

/** Raw better-sqlite3: the same rows into the same table, 1000 per transaction. */
function rawInsertRate(rows: number): number {
  const dir = tempDir('tether-bench-raw-');
  const db = openDatabase(join(dir, 'tether.db'));
  const insert = db.prepare(
    `INSERT INTO reports (agent, stream, seq, at, received_at, content_type, body)
     VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  );
  const tx = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++)
      insert.run(`a${i % 100}`, 'metrics', i + 1, Date.now(), Date.now(), 'application/json', body(i));
  });
  const t0 = performance.now();
  for (let i = 0; i < rows; i += 1000) tx(i, Math.min(rows, i + 1000));
  const secs = (performance.now() - t0) / 1000;
  db.close();
  return rows / secs;
}

async function storedTotal(cp: ControlPlane, prefix: string): Promise<number> {
  const res = await cp.api<{ streams: { agent: string; count: number }[] }>('/api/v1/streams');
  return res.body.streams.filter((s) => s.agent.startsWith(prefix)).reduce((n, s) => n + s.count, 0);
}

async function endToEnd(cp: ControlPlane, agents: number): Promise<number> {
  const prefix = `b${agents}x`;
  const per = Math.ceil(TOTAL / agents);
  const sims = [];
  for (let i = 0; i < agents; i++) {
    const id = `${prefix}${i}`;
    const secret = await cp.addAgent(id);
    const transport = await MqttTransport.connect({
      url: cp.mqttUrl,
      clientId: id,
      password: secret,
      logger,
    });
    const outbox = Outbox.open({
      file: join(tempDir('tether-bench-outbox-'), 'outbox.db'),
      limits: { maxBytes: 1 << 30, maxAgeMs: 86_400_000, overflow: 'refuse' },
    });
    const forwarder = new ReportForwarder({ agentId: id, outbox, transport, logger });
    await forwarder.start();
    sims.push({ transport, outbox, forwarder });
  }
  const t0 = performance.now();
  // Every agent accepts its reports in requests of 100, as fast as its outbox commits them.
  const feeding = Promise.all(
    sims.map(async (sim) => {
      for (let i = 0; i < per; i += PER_REQUEST) {
        const n = Math.min(PER_REQUEST, per - i);
        await sim.outbox.accept(
          'metrics',
          Array.from({ length: n }, (_, k) => ({ contentType: 'application/json', body: body(i + k) })),
        );
      }
    }),
  );
  const deadline = Date.now() + 300_000;
  while ((await storedTotal(cp, prefix)) < per * agents) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the reports');
    await sleep(20);
  }
  const secs = (performance.now() - t0) / 1000;
  await feeding;
  for (const sim of sims) {
    sim.forwarder.stop();
    await sim.transport.close();
    sim.outbox.close();
  }
  return (per * agents) / secs;
}

async function main(): Promise<void> {
  console.log(
    `bench:ingest: ${TOTAL} reports of ${BODY} B per run; control plane: a real process; agents: simulated in-process (real Outbox + ReportForwarder + MqttTransport)\n`,
  );
  const cp = await startControlPlane({ args: ['--log-level', 'warn'] });
  const raw = rawInsertRate(TOTAL);
  console.log(
    `raw better-sqlite3 batched insert (1000/tx, WAL+FULL): ${Math.round(raw).toLocaleString('en')} rows/s`,
  );
  for (const agents of [1, 10, 100]) {
    const rate = await endToEnd(cp, agents);
    console.log(
      `${String(agents).padStart(3)} agent(s): ${Math.round(rate).toLocaleString('en')} reports/s end to end  (ratio to raw: ${(rate / raw).toFixed(2)})`,
    );
  }
  await stopAll();
}

main().then(
  () => process.exit(0),
  async (err: unknown) => {
    console.error(err);
    await stopAll();
    process.exit(1);
  },
);
