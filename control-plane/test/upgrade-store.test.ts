import { afterEach, describe, expect, it } from 'vitest';
import { UpgradeStore } from '../src/store/upgrade-store.js';
import { twoConnections } from './helpers.js';

const rollout = (id: string, createdAt: number) => ({
  id,
  sha256: 'a'.repeat(64),
  size: 10,
  signature: 'sig',
  selector: 'all',
  canary: 1,
  maxFailures: 1,
  deadlineMs: 60_000,
  createdAt,
});

describe('UpgradeStore (real SQLite file)', () => {
  let close = (): void => {};
  afterEach(() => close());

  it('caches the running rollouts: a write here shows at once, one by another connection from the next turn', async () => {
    const conns = twoConnections();
    close = conns.close;
    const store = new UpgradeStore(conns.db);
    expect(store.running()).toEqual([]);
    store.insert(rollout('r1', 1), ['a', 'b']);
    expect(store.running().map((r) => r.id)).toEqual(['r1']);
    store.setRollout('r1', 'done', null, 2);
    expect(store.running()).toEqual([]);
    // Another process's store writes the same file: seen from the next event-loop turn (data_version moved).
    const nextTurn = () => new Promise((r) => setImmediate(r));
    const other = new UpgradeStore(conns.other);
    other.insert(rollout('r2', 3), ['a']);
    await nextTurn();
    expect(store.running().map((r) => r.id)).toEqual(['r2']);
    other.setRollout('r2', 'stopped', 'why', 4);
    await nextTurn();
    expect(store.running()).toEqual([]);
  });

  it('looks one agent up by key: its state as written, nothing for an agent that is not a target', () => {
    const conns = twoConnections();
    close = conns.close;
    const store = new UpgradeStore(conns.db);
    store.insert(rollout('r1', 1), ['a', 'b']);
    store.setTarget('r1', 'b', 'sending', 5);
    expect(store.target('r1', 'b')).toMatchObject({
      agentId: 'b',
      position: 1,
      state: 'sending',
      updatedAt: 5,
    });
    expect(store.target('r1', 'a')?.state).toBe('pending');
    expect(store.target('r1', 'c')).toBeUndefined();
    expect(store.target('r0', 'a')).toBeUndefined();
  });
});
