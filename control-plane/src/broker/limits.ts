import type { InFlightLimit } from './connects-in-flight.js';
import type { QuarantinePolicy } from './denial-tracker.js';
import type { RateSpec } from '@tether/shared';

/** The broker's abuse limits (README: "Abuse limits"). */
export interface BrokerLimits {
  /** Largest MQTT packet an agent may send ("remaining length"); larger: disconnected. */
  maxPacketBytes: number;
  /** Bytes a connection may send before it is authenticated; more: disconnected. */
  maxPreConnectBytes: number;
  /** A connection that has not sent a whole CONNECT by then is closed. */
  connectTimeoutMs: number;
  /** A TLS socket whose handshake is not done by then (counted from its admission) is closed. */
  handshakeTimeoutMs: number;
  /** TLS sockets admitted and not yet through their handshake (queued or handshaking); more: closed unread. */
  maxHandshakes: number;
  /** New connections per source address. */
  connectRate: RateSpec;
  /** New connections over all sources (sheds a socket flood; connectsInFlight paces an honest storm). */
  admissionRate: RateSpec;
  /** Connects worked on at once (CONNECT accepted, first answer not yet sent); more wait, then get CONNACK 3. */
  connectsInFlight: InFlightLimit;
  /** Publishes per agent, all topics. */
  agentMessages: RateSpec;
  /** Publish payload bytes per agent, all topics. */
  agentBytes: RateSpec;
  /** Publishes per agent on its advert and status topics (each costs a validation and a SQLite commit). */
  agentControlMessages: RateSpec;
  /** A publish over a rate waits at most this long (the agent's later ones queue behind it); longer: disconnected. */
  maxThrottleMs: number;
  /** Repeated denials (ACL, rate) turn into a quarantine: CONNECT refused for a growing interval. */
  quarantine: QuarantinePolicy;
}

const KiB = 1024;
const MiB = 1024 * KiB;

/** The defaults: generous for honest agents (benchmarks run under them), tight for floods. */
export const DEFAULT_BROKER_LIMITS: BrokerLimits = {
  maxPacketBytes: 256 * KiB,
  maxPreConnectBytes: 16 * KiB,
  connectTimeoutMs: 10_000,
  handshakeTimeoutMs: 10_000,
  maxHandshakes: 4_096,
  connectRate: { perSecond: 50, burst: 200 },
  admissionRate: { perSecond: 2_000, burst: 4_000 },
  connectsInFlight: { max: 64, timeoutMs: 10_000, maxWaiting: 20_000, waitMs: 20_000 },
  agentMessages: { perSecond: 20_000, burst: 40_000 },
  agentBytes: { perSecond: 128 * MiB, burst: 256 * MiB },
  agentControlMessages: { perSecond: 20, burst: 200 },
  maxThrottleMs: 1_000,
  quarantine: { denials: 3, windowMs: 60_000, baseMs: 10_000, maxMs: 10 * 60_000 },
};

/** Limits with some fields overridden (nested objects replaced field by field). */
export type BrokerLimitsOverride = {
  [K in keyof BrokerLimits]?: BrokerLimits[K] extends object ? Partial<BrokerLimits[K]> : BrokerLimits[K];
};

/** The defaults with `override` applied. */
export function brokerLimits(override: BrokerLimitsOverride = {}): BrokerLimits {
  const d = DEFAULT_BROKER_LIMITS;
  return {
    maxPacketBytes: override.maxPacketBytes ?? d.maxPacketBytes,
    maxPreConnectBytes: override.maxPreConnectBytes ?? d.maxPreConnectBytes,
    connectTimeoutMs: override.connectTimeoutMs ?? d.connectTimeoutMs,
    handshakeTimeoutMs: override.handshakeTimeoutMs ?? d.handshakeTimeoutMs,
    maxHandshakes: override.maxHandshakes ?? d.maxHandshakes,
    connectRate: { ...d.connectRate, ...override.connectRate },
    admissionRate: { ...d.admissionRate, ...override.admissionRate },
    connectsInFlight: { ...d.connectsInFlight, ...override.connectsInFlight },
    agentMessages: { ...d.agentMessages, ...override.agentMessages },
    agentBytes: { ...d.agentBytes, ...override.agentBytes },
    agentControlMessages: { ...d.agentControlMessages, ...override.agentControlMessages },
    maxThrottleMs: override.maxThrottleMs ?? d.maxThrottleMs,
    quarantine: { ...d.quarantine, ...override.quarantine },
  };
}
