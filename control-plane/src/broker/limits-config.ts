import { parseDuration } from '@tether/shared';
import { parseSize } from '../calls/parse-size.js';
import type { LimitsConfig } from '../config.js';
import type { BrokerLimitsOverride } from './limits.js';
import type { RateSpec } from './token-bucket.js';

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
  if (c.connectRate) out.connectRate = c.connectRate;
  if (c.admissionRate) out.admissionRate = c.admissionRate;
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
