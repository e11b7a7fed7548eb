import { parseDuration } from '@tether/shared';
import type { RetentionLimits, RetentionPolicy } from './report-retention.js';

/** Retention limits as written in the config file (`maxAge` a duration). */
export interface RetentionLimitsInput {
  maxAge?: string | number | undefined;
  maxRows?: number | undefined;
  maxBytes?: number | undefined;
}

function limits(input: RetentionLimitsInput): RetentionLimits {
  const out: RetentionLimits = {};
  if (input.maxAge !== undefined) out.maxAgeMs = parseDuration(input.maxAge);
  if (input.maxRows !== undefined) out.maxRows = input.maxRows;
  if (input.maxBytes !== undefined) out.maxBytes = input.maxBytes;
  return out;
}

/** The retention policy of the config file's `reports.retention` (none: keep everything). */
export function retentionPolicy(
  input: (RetentionLimitsInput & { streams?: Record<string, RetentionLimitsInput> | undefined }) | undefined,
): RetentionPolicy {
  if (!input) return { streams: {} };
  const streams = Object.fromEntries(
    Object.entries(input.streams ?? {}).map(([name, l]) => [name, limits(l)]),
  );
  return { ...limits(input), streams };
}
