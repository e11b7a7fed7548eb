import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TooBusyError } from '@tether/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { openAgentOutbox, OUTBOX_FILE } from '../src/reports/agent-outbox.js';
import { LazyOutbox } from '../src/reports/lazy-outbox.js';
import { Outbox } from '../src/reports/outbox.js';
import type { OutboxLimits } from '../src/reports/outbox-types.js';
import { ManualClock } from './helpers.js';

const LIMITS: OutboxLimits = { maxBytes: 1_000_000, maxAgeMs: 86_400_000, overflow: 'refuse' };
const report = (n: number) => ({ contentType: 'application/json', body: Buffer.from(JSON.stringify({ n })) });

describe('LazyOutbox (a real SQLite file, opened at the first report)', () => {
  const dirs: string[] = [];
  const closing: { close(): void }[] = [];
  afterEach(async () => {
    for (const o of closing.splice(0)) o.close();
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });
  async function dir(): Promise<string> {
    const d = await mkdtemp(path.join(tmpdir(), 'tether-lazy-outbox-'));
    dirs.push(d);
    return d;
  }
  function lazy(d: string): { outbox: LazyOutbox; opens: () => number } {
    let opens = 0;
    const outbox = new LazyOutbox(async () => {
      opens++;
      return Outbox.open({ file: path.join(d, OUTBOX_FILE), limits: LIMITS, clock: new ManualClock() });
    });
    closing.push(outbox);
    return { outbox, opens: () => opens };
  }

  it('is an empty outbox until the first report, then opens once and tells listeners registered before', async () => {
    const d = await dir();
    const { outbox, opens } = lazy(d);
    let accepted = 0;
    outbox.onAccepted(() => accepted++);
    expect(outbox.stats()).toEqual({ depth: 0, bytes: 0, oldestAgeMs: null, dropped: 0 });
    expect(outbox.read(0, 10)).toEqual([]);
    expect(outbox.lastId).toBe(0);
    expect(outbox.droppedThrough('a')).toBe(0);
    outbox.ack([{ stream: 'a', from: 1, to: 1 }]);
    expect(opens()).toBe(0);
    expect(existsSync(path.join(d, OUTBOX_FILE))).toBe(false);

    const [a, b] = await Promise.all([outbox.accept('a', [report(1)]), outbox.accept('a', [report(2)])]);
    expect([a, b]).toEqual([
      { stream: 'a', first: 1, last: 1 },
      { stream: 'a', first: 2, last: 2 },
    ]);
    expect(opens()).toBe(1);
    expect(outbox.opened).toBe(true);
    expect(accepted).toBeGreaterThan(0);
    expect(outbox.stats().depth).toBe(2);
    expect(outbox.read(0, 10).map((r) => r.seq)).toEqual([1, 2]);
  });

  it('refuses a report that arrives while it closes, and closes the file it was opening', async () => {
    const { outbox } = lazy(await dir());
    const pending = outbox.accept('a', [report(1)]);
    outbox.close();
    await expect(pending).rejects.toBeInstanceOf(TooBusyError);
  });

  it('openAgentOutbox opens at start only when a previous run left an outbox file', async () => {
    const d = await dir();
    const options = { stateDir: d, limits: LIMITS, clock: new ManualClock() };
    const first = await openAgentOutbox(options);
    closing.push(first);
    expect(first.opened).toBe(false);
    await first.accept('a', [report(1)]);
    first.close();
    const second = await openAgentOutbox(options);
    closing.push(second);
    expect(second.opened).toBe(true);
    expect(second.stats().depth).toBe(1);
  });
});
