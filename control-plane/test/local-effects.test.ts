import { describe, expect, it } from 'vitest';
import { localEffectsOf } from '../src/cluster/local-effects.js';

type Change = Parameters<ReturnType<typeof localEffectsOf>>[0];

describe('localEffectsOf: a change replicated from another replica', () => {
  const effects = () => {
    const calls: string[] = [];
    const apply = localEffectsOf({
      revocations: { enforce: (id) => calls.push(`enforce ${id}`) },
      tokenSockets: { revoke: (id) => calls.push(`revoke ${id}`), sweep: () => calls.push('sweep') },
    });
    return { calls, apply };
  };

  it.each([
    ['a token deleted: its sockets closed', { table: 'api_tokens', key: 't1', row: null }, ['revoke t1']],
    [
      'a token changed: sockets of an old role closed',
      { table: 'api_tokens', key: 't1', row: { role: 'viewer' } },
      ['sweep'],
    ],
    ['an agent revoked: cut off', { table: 'agents', key: 'a1', row: { revoked_at: 5 } }, ['enforce a1']],
    ['an agent changed otherwise: nothing', { table: 'agents', key: 'a1', row: { revoked_at: null } }, []],
  ])('%s', (_, change, expected) => {
    const { calls, apply } = effects();
    apply(change as unknown as Change);
    expect(calls).toEqual(expected);
  });
});
