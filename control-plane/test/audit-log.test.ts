import { describe, expect, it } from 'vitest';
import { AuditLog } from '../src/audit/audit-log.js';
import { auditPage, parseAuditQuery } from '../src/audit/audit-page.js';
import { openDatabase } from '../src/index.js';
import { ManualClock } from './helpers.js';

function log(clock: ManualClock, options: { maxKeysPerMinute?: number; maxCoalescedRows?: number } = {}) {
  return new AuditLog({ db: openDatabase(':memory:'), clock, ...options });
}

describe('AuditLog', () => {
  it('writes change kinds at once, inside the caller transaction (rolled back with it)', () => {
    const clock = new ManualClock();
    const audit = log(clock);
    audit.record({ kind: 'token-created', actor: 'cli', detail: { name: 't' } });
    expect(() =>
      audit.atomically(() => {
        audit.record({ kind: 'agent-revoked', agentId: 'a', actor: 'cli' });
        throw new Error('the change failed');
      }),
    ).toThrow('the change failed');
    expect(audit.list({ limit: 10 }).map((r) => r.kind)).toEqual(['token-created']);
  });

  it('pages newest first with order desc, filtered by actor (the dashboard audit page)', () => {
    const audit = log(new ManualClock());
    for (const actor of ['cli', 'apply', 'apply', 'token:ops', 'apply'])
      audit.record({ kind: 'policy-set', actor, detail: { service: 's' } });
    const first = auditPage(audit, parseAuditQuery({ actor: 'apply', order: 'desc', limit: '2' }));
    expect(first.entries.map((e) => e.id)).toEqual([5, 3]);
    const second = auditPage(
      audit,
      parseAuditQuery({ actor: 'apply', order: 'desc', limit: '2', cursor: first.nextCursor! }),
    );
    expect(second).toMatchObject({ entries: [{ id: 2 }], nextCursor: null });
    expect(() => parseAuditQuery({ order: 'newest' })).toThrow(
      /invalid order "newest": expected asc or desc/,
    );
  });

  it('coalesces identical failures per minute into one row with a count', () => {
    const clock = new ManualClock(60_000 * 100);
    const audit = log(clock);
    const failure = {
      kind: 'auth-failed',
      source: '10.0.0.1',
      detail: { via: 'mqtt', reason: 'bad_secret' },
    } as const;
    for (let i = 0; i < 500; i++) audit.record(failure);
    audit.record({ ...failure, source: '10.0.0.2' });
    audit.flush();
    clock.advance(1_000);
    audit.record(failure);
    audit.flush();
    let rows = audit.list({ limit: 10, kind: 'auth-failed' });
    expect(rows.map((r) => [r.source, r.count])).toEqual([
      ['10.0.0.1', 501],
      ['10.0.0.2', 1],
    ]);
    clock.advance(60_000); // the next minute starts a new row
    audit.record(failure);
    audit.flush();
    rows = audit.list({ limit: 10, kind: 'auth-failed' });
    expect(rows).toHaveLength(3);
  });

  it('caps distinct rows per minute with one overflow row, and keeps only the newest coalesced rows', () => {
    const clock = new ManualClock(60_000 * 100);
    const audit = log(clock, { maxKeysPerMinute: 5, maxCoalescedRows: 8 });
    for (let i = 0; i < 1000; i++) audit.record({ kind: 'auth-failed', source: `10.0.${i >> 8}.${i & 255}` });
    audit.flush();
    const rows = audit.list({ limit: 100 });
    expect(rows).toHaveLength(6);
    expect(rows.at(-1)).toMatchObject({ detail: { overflow: true }, count: 995 });
    for (let m = 0; m < 3; m++) {
      clock.advance(60_000);
      for (let i = 0; i < 10; i++) audit.record({ kind: 'acl-denied', agentId: `a${i}` });
      audit.flush();
    }
    audit.record({ kind: 'policy-set', actor: 'x' });
    const kept = audit.list({ limit: 100 });
    expect(kept.filter((r) => r.kind !== 'policy-set').length).toBeLessThanOrEqual(8 + 6);
    expect(kept.some((r) => r.kind === 'policy-set')).toBe(true);
  });

  it('filters by agent, kind and time, and pages by id', () => {
    const clock = new ManualClock();
    const audit = log(clock);
    audit.record({ kind: 'agent-created', agentId: 'a' });
    clock.advance(1_000);
    const t = clock.now();
    audit.record({ kind: 'agent-created', agentId: 'b' });
    audit.record({ kind: 'agent-revoked', agentId: 'a' });
    expect(audit.list({ limit: 10, agentId: 'a' }).map((r) => r.kind)).toEqual([
      'agent-created',
      'agent-revoked',
    ]);
    expect(audit.list({ limit: 10, kind: 'agent-created' }).map((r) => r.agentId)).toEqual(['a', 'b']);
    expect(audit.list({ limit: 10, since: t }).map((r) => r.agentId)).toEqual(['b', 'a']);
    const [first] = audit.list({ limit: 1 });
    expect(audit.list({ limit: 10, afterId: first!.id })).toHaveLength(2);
  });
});
