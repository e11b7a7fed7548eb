import { advertTopic, statusTopic, type Clock } from '@tether/shared';
import type { BrokerLimits } from './limits.js';
import type { TokenBucket } from '@tether/shared';
import { KeyedBuckets } from './keyed-buckets.js';

/** What to do with one publish: go on at once, after `delayMs`, or refuse it (the agent is disconnected). */
export type RateDecision = { action: 'pass' } | { action: 'delay'; delayMs: number } | { action: 'refuse' };

/**
 * Per-agent publish rates: messages and payload bytes on all topics, plus messages on the advert/status topics
 * (each costs a validation and a SQLite commit). Over a rate, the publish waits until the buckets are paid back
 * (the agent's later publishes queue behind it: OrderedRelease; aedes reads on meanwhile, so the debt bounds what
 * waits); when the wait would exceed `maxThrottleMs` the publish is refused. Keys are authenticated agent ids, so
 * memory is bounded by the registered agents.
 */
export class PublishRateLimiter {
  readonly #maxThrottleMs: number;
  readonly #messages: KeyedBuckets;
  readonly #bytes: KeyedBuckets;
  readonly #control: KeyedBuckets;

  constructor(limits: BrokerLimits, clock: Pick<Clock, 'now'>) {
    this.#maxThrottleMs = limits.maxThrottleMs;
    this.#messages = new KeyedBuckets(limits.agentMessages, clock, Number.MAX_SAFE_INTEGER);
    this.#bytes = new KeyedBuckets(limits.agentBytes, clock, Number.MAX_SAFE_INTEGER);
    this.#control = new KeyedBuckets(limits.agentControlMessages, clock, Number.MAX_SAFE_INTEGER);
  }

  /** Charges one publish of `bytes` payload bytes by `agentId` on `topic`. */
  charge(agentId: string, topic: string, bytes: number): RateDecision {
    const charges: [TokenBucket, number][] = [
      [this.#messages.bucket(agentId), 1],
      [this.#bytes.bucket(agentId), bytes],
    ];
    if (topic === advertTopic(agentId) || topic === statusTopic(agentId))
      charges.push([this.#control.bucket(agentId), 1]);
    const wait = Math.max(...charges.map(([bucket, cost]) => bucket.take(cost)));
    if (wait === 0) return { action: 'pass' };
    if (wait <= this.#maxThrottleMs) return { action: 'delay', delayMs: wait };
    // A refused publish is not charged: the debt reflects only what went through.
    for (const [bucket, cost] of charges) bucket.refund(cost);
    return { action: 'refuse' };
  }

  /** Forgets an agent's buckets. */
  forget(agentId: string): void {
    this.#messages.delete(agentId);
    this.#bytes.delete(agentId);
    this.#control.delete(agentId);
  }
}
