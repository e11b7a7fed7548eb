import { describe, expect, it } from 'vitest';
import { ConflictError } from '@tether/shared';
import { claimAll, withClaims, type UniqueClaims } from '../src/agents/registration/unique-claims.js';

/** Claims in a Set: the first claim of a key wins, as Redis SET NX decides it. */
class SetClaims implements UniqueClaims {
  readonly held = new Set<string>();

  claim(key: string): Promise<boolean> {
    if (this.held.has(key)) return Promise.resolve(false);
    this.held.add(key);
    return Promise.resolve(true);
  }

  release(key: string): Promise<void> {
    this.held.delete(key);
    return Promise.resolve();
  }
}

const taken = (key: string): Error => new ConflictError(`${key} taken`);

describe('claims (in-memory claims)', () => {
  it('claimAll takes every key or none: a taken key releases the ones just claimed', async () => {
    const claims = new SetClaims();
    expect(await claimAll(claims, ['grant:g1', 'agent:a1'], taken)).toEqual(['grant:g1', 'agent:a1']);
    await expect(claimAll(claims, ['grant:g2', 'agent:a1'], taken)).rejects.toThrow('agent:a1 taken');
    expect([...claims.held].sort()).toEqual(['agent:a1', 'grant:g1']);
  });

  it('withClaims: of concurrent writers of one key exactly one writes; a failed write frees the key', async () => {
    const claims = new SetClaims();
    let writes = 0;
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => withClaims(claims, ['agent:a1'], taken, () => ++writes)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof ConflictError)).toHaveLength(
      7,
    );
    expect(writes).toBe(1);

    await expect(
      withClaims(claims, ['agent:a2'], taken, () => {
        throw new Error('disk full');
      }),
    ).rejects.toThrow('disk full');
    expect(claims.held.has('agent:a2')).toBe(false);
    expect(await withClaims(claims, ['agent:a2'], taken, () => 'retried')).toBe('retried');
    // Without a cluster there is nothing to claim.
    expect(await withClaims(undefined, ['agent:a1'], taken, () => 'single')).toBe('single');
  });
});
