/** Decides writes that must be unique across replicas: exactly one claim of a key ever succeeds. */
export interface UniqueClaims {
  /** True for the first claim of `key` cluster-wide; false when it was claimed before. */
  claim(key: string): Promise<boolean>;
  /** Releases a claim whose write then failed (so a valid retry can still win). */
  release(key: string): Promise<void>;
}

/** Claims `keys` in order; when one was claimed before, releases those just taken and throws `taken(key)`. */
export async function claimAll(
  claims: UniqueClaims,
  keys: readonly string[],
  taken: (key: string) => Error,
): Promise<string[]> {
  const held: string[] = [];
  for (const key of keys) {
    if (!(await claims.claim(key))) {
      for (const k of held) await claims.release(k);
      throw taken(key);
    }
    held.push(key);
  }
  return held;
}

/** Runs `write` holding the claims of `keys` (nothing to claim without a cluster); a failed write releases them. */
export async function withClaims<T>(
  claims: UniqueClaims | undefined,
  keys: readonly string[],
  taken: (key: string) => Error,
  write: () => T | Promise<T>,
): Promise<T> {
  const held = claims ? await claimAll(claims, keys, taken) : [];
  try {
    return await write();
  } catch (err) {
    for (const key of held) await claims?.release(key);
    throw err;
  }
}
