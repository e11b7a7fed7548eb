import { decodeFrames, type Clock, type MessageHandler, type Transport } from '@tether/shared';

/** A clock whose time moves only when the test says so. */
export class ManualClock implements Clock {
  #now = 0;
  #timers = new Map<number, { at: number; fn: () => void }>();
  #next = 0;
  now(): number {
    return this.#now;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.#next;
    this.#timers.set(id, { at: this.#now + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }
  advance(ms: number): void {
    this.#now += ms;
    for (const [id, t] of [...this.#timers]) {
      if (t.at <= this.#now && this.#timers.delete(id)) t.fn();
    }
  }
}

/** An in-memory broker: publishes reach subscribers of the same topic on a later microtask, in order. */
export class MemoryBus {
  readonly subs = new Map<string, Set<MessageHandler>>();
  /** Frame types delivered, per topic. */
  readonly delivered: Array<{ topic: string; type: string }> = [];
  down = false;

  transport(): Transport {
    return {
      publish: async (topic, payload) => {
        if (this.down) throw new Error('link down');
        const bytes =
          typeof payload === 'string' ? new TextEncoder().encode(payload) : Uint8Array.from(payload);
        queueMicrotask(() => {
          for (const d of decodeFrames(bytes))
            this.delivered.push({ topic, type: d.ok ? d.frame.type : 'malformed' });
          for (const h of this.subs.get(topic) ?? []) h(topic, bytes);
        });
      },
      subscribe: async (filter, handler) => {
        const set = this.subs.get(filter) ?? new Set();
        set.add(handler);
        this.subs.set(filter, set);
        return async () => void set.delete(handler);
      },
      close: async () => undefined,
    };
  }

  count(topic: string, type: string): number {
    return this.delivered.filter((d) => d.topic === topic && d.type === type).length;
  }
}

/** Lets queued microtasks and immediate callbacks run. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}
