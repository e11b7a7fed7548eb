import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new agent secret: 32 random bytes, base64url. */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The stored form of a secret: sha256, hex. Secrets are 256-bit random tokens, not passwords a human chose, so
 * there is nothing to brute-force and a fast hash suffices; a slow KDF (bcrypt/scrypt) would instead make a
 * reconnect storm of thousands of agents CPU-bound on the broker's single event loop.
 */
export function hashSecret(secret: string | Uint8Array): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Compares a presented secret with a stored hash in constant time. */
export function verifySecret(secret: string | Uint8Array, storedHash: string): boolean {
  const presented = Buffer.from(hashSecret(secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
