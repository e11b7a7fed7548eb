import { z } from 'zod';
import { DurationInputSchema, parseDuration, type StreamLimits } from '@tether/shared';
import { parseSize, SizeInputSchema } from '../calls/parse-size.js';

const size = SizeInputSchema;
const duration = DurationInputSchema;
const rate = z.strictObject({ perSecond: z.number().positive(), burst: z.number().positive() });
const byteRateInput = z.strictObject({ perSecond: size, burst: size });
import type { BrokerLimitsOverride } from './limits.js';
import type { RateSpec } from '@tether/shared';

/** The broker's abuse limits in the config file (README: "Abuse limits"); each field optional. */
export const LimitsConfigSchema = z.strictObject({
  maxPacketSize: size.optional(),
  maxPreConnectBytes: size.optional(),
  connectTimeout: duration.optional(),
  /** A TLS socket whose handshake is not done by then (counted from its admission) is closed. */
  handshakeTimeout: duration.optional(),
  /** TLS sockets admitted and not yet through their handshake; beyond, new ones are closed before any TLS work. */
  maxHandshakes: z.number().int().min(1).max(1_000_000).optional(),
  connectRate: rate.partial().optional(),
  admissionRate: rate.partial().optional(),
  /** Connects worked on at once (accepted, not yet answered), how long one counts at most, and the waiting room. */
  connectsInFlight: z
    .strictObject({
      max: z.number().int().min(1).max(100_000),
      timeout: duration,
      maxWaiting: z.number().int().min(0).max(1_000_000),
      wait: duration,
    })
    .partial()
    .optional(),
  agentMessages: rate.partial().optional(),
  agentBytes: byteRateInput.partial().optional(),
  agentControlMessages: rate.partial().optional(),
  maxThrottle: duration.optional(),
  quarantine: z
    .strictObject({
      denials: z.number().int().min(1),
      window: duration,
      base: duration,
      max: duration,
    })
    .partial()
    .optional(),
  /** Streams (TCP connections, upgrades) open at once through one agent's tunnel, both ways (default 256). */
  agentStreams: z.number().int().min(1).max(100_000).optional(),
  /** Bytes in flight per stream and direction (default 256KiB): what a slow reader can make the hub hold. */
  streamWindow: size.optional(),
});
/** Validated limits from the config file. */
export type LimitsConfig = z.infer<typeof LimitsConfigSchema>;

function byteRate(
  r: { perSecond?: string | number; burst?: string | number } | undefined,
): Partial<RateSpec> {
  const out: Partial<RateSpec> = {};
  if (r?.perSecond !== undefined) out.perSecond = parseSize(r.perSecond);
  if (r?.burst !== undefined) out.burst = parseSize(r.burst);
  return out;
}

/** The broker limit overrides a (validated) config file's `limits` section asks for. */
export function limitsFromConfig(c: LimitsConfig | undefined): BrokerLimitsOverride {
  if (!c) return {};
  const out: BrokerLimitsOverride = {};
  if (c.maxPacketSize !== undefined) out.maxPacketBytes = parseSize(c.maxPacketSize);
  if (c.maxPreConnectBytes !== undefined) out.maxPreConnectBytes = parseSize(c.maxPreConnectBytes);
  if (c.connectTimeout !== undefined) out.connectTimeoutMs = parseDuration(c.connectTimeout);
  if (c.handshakeTimeout !== undefined) out.handshakeTimeoutMs = parseDuration(c.handshakeTimeout);
  if (c.maxHandshakes !== undefined) out.maxHandshakes = c.maxHandshakes;
  if (c.connectRate) out.connectRate = c.connectRate;
  if (c.admissionRate) out.admissionRate = c.admissionRate;
  const inFlight = c.connectsInFlight;
  if (inFlight) {
    out.connectsInFlight = {};
    if (inFlight.max !== undefined) out.connectsInFlight.max = inFlight.max;
    if (inFlight.timeout !== undefined) out.connectsInFlight.timeoutMs = parseDuration(inFlight.timeout);
    if (inFlight.maxWaiting !== undefined) out.connectsInFlight.maxWaiting = inFlight.maxWaiting;
    if (inFlight.wait !== undefined) out.connectsInFlight.waitMs = parseDuration(inFlight.wait);
  }
  if (c.agentMessages) out.agentMessages = c.agentMessages;
  if (c.agentBytes) out.agentBytes = byteRate(c.agentBytes);
  if (c.agentControlMessages) out.agentControlMessages = c.agentControlMessages;
  if (c.maxThrottle !== undefined) out.maxThrottleMs = parseDuration(c.maxThrottle);
  const q = c.quarantine;
  if (q) {
    out.quarantine = {};
    if (q.denials !== undefined) out.quarantine.denials = q.denials;
    if (q.window !== undefined) out.quarantine.windowMs = parseDuration(q.window);
    if (q.base !== undefined) out.quarantine.baseMs = parseDuration(q.base);
    if (q.max !== undefined) out.quarantine.maxMs = parseDuration(q.max);
  }
  return out;
}

/** The stream limits a (validated) config file's `limits` section asks for. */
export function streamLimitsFromConfig(c: LimitsConfig | undefined): Partial<StreamLimits> {
  const out: Partial<StreamLimits> = {};
  if (c?.agentStreams !== undefined) out.maxStreams = c.agentStreams;
  if (c?.streamWindow !== undefined) out.window = Math.max(64 * 1024, parseSize(c.streamWindow));
  return out;
}
