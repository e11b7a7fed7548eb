import type { MqttClient } from 'mqtt';
import { ForbiddenError, TunnelClosedError, type MessageHandler } from '@tether/shared';
import { topicMatches } from './topic-match.js';

interface Subscription {
  qos: 0 | 1;
  handlers: Set<MessageHandler>;
}

/**
 * An MqttTransport's subscriptions by topic filter, each with its handlers: they outlive the connection (the
 * transport re-sends them after every connect); each incoming message goes to every matching filter.
 */
export class MqttSubscriptions {
  readonly #client: MqttClient;
  readonly #subs = new Map<string, Subscription>();

  constructor(client: MqttClient) {
    this.#client = client;
  }

  /** Adds `handler` to `filter` (created with `qos` if new); true when the filter is new (to SUBSCRIBE). */
  add(filter: string, handler: MessageHandler, qos: 0 | 1): boolean {
    let sub = this.#subs.get(filter);
    const isNew = !sub;
    if (!sub) {
      sub = { qos, handlers: new Set() };
      this.#subs.set(filter, sub);
    }
    sub.handlers.add(handler);
    return isNew;
  }

  /** Removes `handler`; true when it was the filter's last one and the filter is gone (to UNSUBSCRIBE). */
  remove(filter: string, handler: MessageHandler): boolean {
    const current = this.#subs.get(filter);
    if (!current?.handlers.delete(handler) || current.handlers.size > 0) return false;
    this.#subs.delete(filter);
    return true;
  }

  /** Sends one SUBSCRIBE: a ForbiddenError when the broker refuses it, a TunnelClosedError when it fails. */
  async send(filter: string, qos: 0 | 1): Promise<void> {
    let granted;
    try {
      granted = await this.#client.subscribeAsync(filter, { qos });
    } catch (err) {
      const granted = (err as { packet?: { granted?: unknown[] } }).packet?.granted ?? [];
      if (granted.some((g) => typeof g === 'number' && (g & 0x80) !== 0)) {
        throw new ForbiddenError(`subscription to ${filter} was refused`, { cause: err });
      }
      throw new TunnelClosedError(`subscription to ${filter} failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (granted.some((g) => g.qos === 128)) throw new ForbiddenError(`subscription to ${filter} was refused`);
  }

  /** Re-sends every subscription in turn (after a connect); `onError` hears of each one that fails. */
  async sendAll(onError: (filter: string, err: Error) => void): Promise<void> {
    for (const [filter, sub] of this.#subs) {
      try {
        await this.send(filter, sub.qos);
      } catch (err) {
        onError(filter, err as Error);
      }
    }
  }

  /** Hands a message to the handlers of every filter that matches its topic. */
  dispatch(topic: string, payload: Buffer): void {
    for (const [filter, sub] of this.#subs) {
      if (!topicMatches(filter, topic)) continue;
      for (const handler of [...sub.handlers]) handler(topic, payload);
    }
  }
}
