import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiToken, deleteApiToken, resolveToken } from '../src/auth/api-tokens.js';
import { hashSecret } from '../src/auth/secrets.js';
import { TokenStore } from '../src/auth/token-store.js';
import { EXTERNAL_CHECK_MS } from '../src/db/read-cache.js';
import { AuditLog } from '../src/audit/audit-log.js';
import { ManualClock, twoConnections } from './helpers.js';

// resolveToken keeps known tokens by the presented string (no sha256 per request): it must never outlive a change.
describe('resolveToken cache', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  function setup() {
    const { db, other, close } = twoConnections();
    cleanups.push(close);
    const clock = new ManualClock();
    const tokens = new TokenStore(db);
    const deps = { tokens, audit: new AuditLog({ db, clock }) };
    const otherDeps = { tokens: new TokenStore(other), audit: new AuditLog({ db: other, clock }) };
    const make = (name: string) => createApiToken(deps, { role: 'viewer', name }, 'test', clock.now());
    return { tokens, deps, otherDeps, make };
  }

  it('a deleted token is refused at once, in the same turn as its delete', () => {
    const { tokens, deps, make } = setup();
    const doomed = make('doomed');
    const kept = make('kept');
    expect(resolveToken(tokens, doomed.token)?.id).toBe(doomed.id);
    expect(resolveToken(tokens, doomed.token)?.id).toBe(doomed.id); // served from the cache now
    expect(deleteApiToken(deps, doomed.id, 'test')).toBe(true);
    expect(resolveToken(tokens, doomed.token)).toBeUndefined();
    expect(resolveToken(tokens, kept.token)?.id).toBe(kept.id);
  });

  it('a role change shows at once', () => {
    const { tokens, make } = setup();
    const t = make('t');
    expect(resolveToken(tokens, t.token)?.role).toBe('viewer');
    expect(tokens.setRole(t.id, 'admin')).toBe(true);
    expect(resolveToken(tokens, t.token)?.role).toBe('admin');
  });

  it("another process's delete is refused once EXTERNAL_CHECK_MS passed", async () => {
    const { tokens, otherDeps, make } = setup();
    const doomed = make('doomed');
    expect(resolveToken(tokens, doomed.token)?.id).toBe(doomed.id);
    expect(deleteApiToken(otherDeps, doomed.id, 'cli')).toBe(true);
    await new Promise((r) => setTimeout(r, EXTERNAL_CHECK_MS + 1));
    await nextTurn();
    expect(resolveToken(tokens, doomed.token)).toBeUndefined();
  });

  it('an unknown token is not remembered as unknown: created afterwards, it is accepted', async () => {
    const { tokens, otherDeps } = setup();
    const presented = `tether_${'x'.repeat(43)}`;
    expect(resolveToken(tokens, presented)).toBeUndefined();
    // Inserted by another connection under the hash of the string presented above.
    const record = { id: 'late', name: 'late', role: 'viewer' as const, createdAt: 1, createdBy: null };
    expect(otherDeps.tokens.insert(record, hashSecret(presented))).toBe(true);
    await nextTurn(); // another process's commit shows from the next turn
    expect(resolveToken(tokens, presented)?.id).toBe('late');
  });
});
