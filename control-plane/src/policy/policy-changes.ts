import { DEFAULT_POLICY } from '@tether/shared';
import type { EventBus } from '../observability/event-bus.js';
import type { PolicyRecord, PolicyStore } from './policy-store.js';

/**
 * Tells the bus about policies another process changed (`tether-cp apply` on the same SQLite file): on each call it
 * compares the stored policies with those it last saw and emits `policy-updated` for every service whose policy
 * changed, was set or was dropped (back to the defaults). The picker reads the store itself; the conflict tracker
 * and the dashboard follow the bus.
 */
export class PolicyChanges {
  readonly #store: PolicyStore;
  readonly #bus: EventBus;
  #seen: Map<string, PolicyRecord>;

  constructor(store: PolicyStore, bus: EventBus) {
    this.#store = store;
    this.#bus = bus;
    this.#seen = this.#read();
  }

  /** Emits `policy-updated` for each policy that differs from the last call (or construction). */
  announce(): void {
    const now = this.#read();
    for (const [service, record] of now) {
      const before = this.#seen.get(service);
      if (
        before &&
        JSON.stringify(before.policy) === JSON.stringify(record.policy) &&
        before.source === record.source
      )
        continue;
      this.#bus.emit({ type: 'policy-updated', service, policy: record.policy, policySource: record.source });
    }
    for (const service of this.#seen.keys())
      if (!now.has(service))
        this.#bus.emit({ type: 'policy-updated', service, policy: DEFAULT_POLICY, policySource: 'default' });
    this.#seen = now;
  }

  #read(): Map<string, PolicyRecord> {
    return new Map(this.#store.list().map((r) => [r.service, r]));
  }
}
