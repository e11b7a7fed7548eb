import { afterEach, describe, expect, it } from 'vitest';
import { createApiToken, deleteApiToken } from '../src/auth/api-tokens.js';
import {
  TOKEN_CHANGED_CLOSE,
  TOKEN_REVOKED_CLOSE,
  TokenSockets,
  type TokenSocket,
} from '../src/auth/token-sockets.js';
import { TokenStore } from '../src/auth/token-store.js';
import { AuditLog } from '../src/audit/audit-log.js';
import { DataVersionWatch } from '../src/db/data-version-watch.js';
import { ManualClock, silentLogger, twoConnections } from './helpers.js';

/** A socket that records how it was closed. */
class FakeSocket implements TokenSocket {
  closed: { code: number; reason: string }[] = [];
  close(code: number, reason: string): void {
    this.closed.push({ code, reason });
  }
}

describe('TokenSockets', () => {
  const live = new Map([
    ['t1', 'viewer'],
    ['t2', 'viewer'],
  ]);
  const registry = () => new TokenSockets({ roleOf: (id) => live.get(id), logger: silentLogger });
  const t1 = { id: 't1', role: 'viewer' };
  const t2 = { id: 't2', role: 'viewer' };

  it('revoke closes every socket of that token with 4401 "token revoked", and only those', () => {
    const sockets = registry();
    const [a, b, other] = [new FakeSocket(), new FakeSocket(), new FakeSocket()];
    sockets.add(t1, a);
    sockets.add(t1, b);
    sockets.add(t2, other);
    expect(sockets.size).toBe(3);
    expect(sockets.revoke('t1')).toBe(2);
    expect(a.closed).toEqual([TOKEN_REVOKED_CLOSE]);
    expect(b.closed).toEqual([{ code: 4401, reason: 'token revoked' }]);
    expect(other.closed).toEqual([]);
    expect(sockets.size).toBe(1);
    expect(sockets.revoke('t1')).toBe(0);
    expect(a.closed).toHaveLength(1);
  });

  it('hold registers a long call under its token (ended on revoke, released on its end); none without a token', () => {
    const sockets = registry();
    let ended = 0;
    const release = sockets.hold(t1, () => ended++);
    sockets.hold(undefined, () => ended++)();
    expect(sockets.size).toBe(1);
    release();
    expect(sockets.size).toBe(0);
    sockets.hold(t2, () => ended++);
    expect(sockets.revoke('t2')).toBe(1);
    expect(ended).toBe(1);
  });

  it('a removed socket is forgotten and never closed by a later revoke', () => {
    const sockets = registry();
    const [a, b] = [new FakeSocket(), new FakeSocket()];
    const removeA = sockets.add(t1, a);
    sockets.add(t1, b);
    removeA();
    removeA();
    expect(sockets.size).toBe(1);
    expect(sockets.revoke('t1')).toBe(1);
    expect(a.closed).toEqual([]);
    expect(b.closed).toEqual([TOKEN_REVOKED_CLOSE]);
  });

  it('sweep closes the sockets of tokens that no longer exist; a socket of a gone token is closed at add', () => {
    const sockets = registry();
    const [a, b] = [new FakeSocket(), new FakeSocket()];
    sockets.add(t1, a);
    sockets.add(t2, b);
    expect(sockets.sweep()).toBe(0);
    live.delete('t2');
    expect(sockets.sweep()).toBe(1);
    expect(b.closed).toEqual([TOKEN_REVOKED_CLOSE]);
    expect(a.closed).toEqual([]);
    const late = new FakeSocket();
    sockets.add(t2, late);
    expect(late.closed).toEqual([TOKEN_REVOKED_CLOSE]);
    expect(sockets.size).toBe(1);
    live.set('t2', 'viewer');
  });

  it('sweep closes the sockets opened with a role the token no longer holds; add closes one opened with an old role', () => {
    const sockets = registry();
    const [a, b, other] = [new FakeSocket(), new FakeSocket(), new FakeSocket()];
    sockets.add(t1, a);
    let ended = 0;
    sockets.hold(t1, () => ended++);
    sockets.add(t2, other);
    live.set('t1', 'admin');
    expect(sockets.sweep()).toBe(2);
    expect(a.closed).toEqual([TOKEN_CHANGED_CLOSE]);
    expect(ended).toBe(1);
    expect(other.closed).toEqual([]);
    sockets.add({ id: 't1', role: 'admin' }, b);
    expect(sockets.sweep()).toBe(0);
    expect(b.closed).toEqual([]);
    const late = new FakeSocket();
    sockets.add(t1, late);
    expect(late.closed).toEqual([TOKEN_CHANGED_CLOSE]);
    expect(sockets.size).toBe(2);
    live.set('t1', 'viewer');
  });
});

describe('TokenSockets and DataVersionWatch on a real SQLite file', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  it('a token deleted by another connection closes its sockets within one poll; own writes do not poll-trigger', () => {
    const { db, other, close } = twoConnections();
    cleanups.push(close);
    const clock = new ManualClock();
    const tokens = new TokenStore(db);
    const deps = { tokens, audit: new AuditLog({ db, clock }) };
    const [kept, doomed] = ['kept', 'doomed'].map((name) =>
      createApiToken(deps, { role: 'viewer', name }, 'test', clock.now()),
    );
    const sockets = new TokenSockets({ roleOf: (id) => tokens.get(id)?.role, logger: silentLogger });
    const watch = new DataVersionWatch({ db, clock, logger: silentLogger, intervalMs: 100 });
    let changes = 0;
    watch.onChange(() => changes++);
    watch.onChange(() => sockets.sweep());
    watch.start();
    cleanups.push(() => watch.stop());
    const [a, b] = [new FakeSocket(), new FakeSocket()];
    sockets.add(kept!, a);
    sockets.add(doomed!, b);

    createApiToken(deps, { role: 'viewer', name: 'own-write' }, 'test', clock.now());
    clock.advance(100);
    expect(changes).toBe(0);

    const otherDeps = { tokens: new TokenStore(other), audit: new AuditLog({ db: other, clock }) };
    expect(deleteApiToken(otherDeps, doomed!.id, 'cli')).toBe(true);
    expect(b.closed).toEqual([]);
    clock.advance(100);
    expect(changes).toBe(1);
    expect(b.closed).toEqual([TOKEN_REVOKED_CLOSE]);
    expect(a.closed).toEqual([]);
    expect(sockets.size).toBe(1);
  });
});
