import { createPublicKey, verify } from 'node:crypto';
import { z } from 'zod';

// Fleet upgrades (docs/upgrades.md): the hub offers a signed build on the agent's inbox, the agent pulls it in
// chunks on its upgrades topic, verifies sha256 and signature, swaps and restarts, and reports the outcome.

// PROTOCOL_VERSION (messages.ts imports this file for its inbox union, so the literal is spelt here).
const v = z.literal(1);
const upgrade = z.string().min(1).max(64);
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
/** The largest chunk the hub sends (bytes before base64): one MQTT packet well under the broker's limits. */
export const MAX_UPGRADE_CHUNK_BYTES = 512 * 1024;

/** The text the control plane signs for a build: its sha256 and size, under a fixed context. */
export function upgradeSignedText(digest: string, size: number): string {
  return `tether-agent-build/v1 sha256:${digest} size:${size}`;
}

/** True when `signature` (base64) is the Ed25519 signature of the build's sha256 and size by `publicKeyPem`. */
export function verifyUpgradeSignature(
  publicKeyPem: string,
  digest: string,
  size: number,
  signature: string,
): boolean {
  try {
    const key = createPublicKey(publicKeyPem);
    return verify(null, Buffer.from(upgradeSignedText(digest, size)), key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

/** Hub -> agent (inbox): a new build for this agent, its digest, size and signature; the agent pulls it. */
export const UpgradeOfferSchema = z.object({
  v,
  type: z.literal('upgrade-offer'),
  upgrade,
  sha256,
  size: z.number().int().min(1),
  signature: z.string().min(1).max(256),
  chunkBytes: z.number().int().min(1).max(MAX_UPGRADE_CHUNK_BYTES),
  /** How long the new build has to connect before the agent rolls back, ms. */
  deadlineMs: z.number().int().min(100).max(3_600_000),
});

/** Hub -> agent (inbox): the bytes of a build from `offset`, base64. */
export const UpgradeChunkSchema = z.object({
  v,
  type: z.literal('upgrade-chunk'),
  upgrade,
  offset: z.number().int().min(0),
  data: z.string().max(Math.ceil(MAX_UPGRADE_CHUNK_BYTES / 3) * 4),
});

/** Agent -> hub (upgrades topic): "send the build's bytes from `offset`" (a restart resumes where the file ends). */
export const UpgradeFetchSchema = z.strictObject({
  v,
  type: z.literal('upgrade-fetch'),
  upgrade,
  offset: z.number().int().min(0),
});

/** What became of an offered build on an agent. */
export const UpgradeOutcomeSchema = z.enum(['upgraded', 'rolled-back', 'refused']);
/** What became of an offered build on an agent. */
export type UpgradeOutcome = z.infer<typeof UpgradeOutcomeSchema>;

/**
 * Agent -> hub (upgrades topic): the outcome of an upgrade: `upgraded` (sent by the new build once connected),
 * `rolled-back` (the new build did not connect in time: the previous one runs again), `refused` (digest or
 * signature wrong, no key, or the build could not be staged), with the version now running and why.
 */
export const UpgradeResultSchema = z.strictObject({
  v,
  type: z.literal('upgrade-result'),
  upgrade,
  outcome: UpgradeOutcomeSchema,
  version: z.string().max(64),
  reason: z.string().max(1024).optional(),
});

/** Everything an agent may publish on its upgrades topic. */
export const UpgradeMessageSchema = z.discriminatedUnion('type', [UpgradeFetchSchema, UpgradeResultSchema]);

export type UpgradeOffer = z.infer<typeof UpgradeOfferSchema>;
export type UpgradeChunk = z.infer<typeof UpgradeChunkSchema>;
export type UpgradeFetch = z.infer<typeof UpgradeFetchSchema>;
export type UpgradeResult = z.infer<typeof UpgradeResultSchema>;
export type UpgradeMessage = z.infer<typeof UpgradeMessageSchema>;
