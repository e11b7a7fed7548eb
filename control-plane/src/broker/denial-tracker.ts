import { backoffDelay, type BackoffOptions, type Clock } from '@tether/shared';

/** When denials turn into a quarantine. */
export interface QuarantinePolicy {
  /** This many denials within `windowMs` start a quarantine. */
  denials: number;
  windowMs: number;
  /** The first quarantine lasts about `baseMs`; each next one doubles, up to `maxMs` (jittered). */
  baseMs: number;
  maxMs: number;
}

/** What recording a denial led to. */
export type DenialOutcome = { quarantined: false } | { quarantined: true; untilMs: number; attempt: number };

interface AgentDenials {
  at: number[];
  quarantines: number;
  until: number;
  lastDenial: number;
}

/**
 * Remembers denied publishes per agent (only authenticated agents, so memory is bounded by the registered ones).
 * After `denials` within `windowMs` the agent is quarantined (its CONNECT refused) for a growing interval; the
 * growth resets once the agent stays clean for the longest quarantine. Pure: clock and randomness injected.
 */
export class DenialTracker {
  readonly #policy: QuarantinePolicy;
  readonly #clock: Pick<Clock, 'now'>;
  readonly #random: () => number;
  readonly #agents = new Map<string, AgentDenials>();

  constructor(policy: QuarantinePolicy, clock: Pick<Clock, 'now'>, random: () => number = Math.random) {
    this.#policy = policy;
    this.#clock = clock;
    this.#random = random;
  }

  /** Records one denial of `agentId`; says whether it starts a quarantine, and until when. */
  record(agentId: string): DenialOutcome {
    const now = this.#clock.now();
    const p = this.#policy;
    let a = this.#agents.get(agentId);
    if (!a || (a.until <= now && now - a.lastDenial > p.maxMs + p.windowMs)) {
      a = { at: [], quarantines: 0, until: 0, lastDenial: now };
      this.#agents.set(agentId, a);
    }
    a.lastDenial = now;
    a.at = a.at.filter((t) => now - t < p.windowMs);
    a.at.push(now);
    if (a.at.length < p.denials) return { quarantined: false };
    const backoff: BackoffOptions = { baseMs: p.baseMs, capMs: p.maxMs };
    const attempt = a.quarantines++;
    a.until = now + backoffDelay(attempt, backoff, this.#random);
    a.at = [];
    return { quarantined: true, untilMs: a.until, attempt };
  }

  /** The end of the agent's quarantine (epoch ms) if it is quarantined now. */
  quarantinedUntil(agentId: string): number | undefined {
    const a = this.#agents.get(agentId);
    return a && a.until > this.#clock.now() ? a.until : undefined;
  }

  /** Forgets an agent (e.g. revoked or deleted). */
  forget(agentId: string): void {
    this.#agents.delete(agentId);
  }
}
