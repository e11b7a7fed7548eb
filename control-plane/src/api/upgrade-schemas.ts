import { z } from 'zod';
import { ROLLOUT_STATES, TARGET_STATES } from '../store/upgrade-store.js';

/** One agent of a rollout: where it stands, the version it reported, why it failed, how much it fetched. */
export const UpgradeTargetViewSchema = z.object({
  agentId: z.string(),
  position: z.number().int(),
  state: z.enum(TARGET_STATES),
  version: z.string().nullable(),
  reason: z.string().nullable(),
  updatedAt: z.number().int(),
  fetchedBytes: z.number().int(),
});

/** A fleet upgrade rollout: the build (sha256, size), its rules, its state and each agent's. */
export const RolloutViewSchema = z.object({
  id: z.string(),
  sha256: z.string(),
  size: z.number().int(),
  signature: z.string(),
  selector: z.string(),
  canary: z.number().int(),
  maxFailures: z.number().int(),
  deadlineMs: z.number().int(),
  state: z.enum(ROLLOUT_STATES),
  reason: z.string().nullable(),
  createdAt: z.number().int(),
  updatedAt: z.number().int(),
  targets: z.array(UpgradeTargetViewSchema),
});
/** A rollout as the API answers it. */
export type RolloutViewBody = z.infer<typeof RolloutViewSchema>;
