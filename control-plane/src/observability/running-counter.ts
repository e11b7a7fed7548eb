import { Counter, type Registry } from 'prom-client';

/** One label set's running total: the hot path adds to `total`, nothing else. */
export interface CounterSlot {
  total: number;
}

/**
 * A Prometheus counter kept as plain running totals, one slot per label set: counting costs a number increment
 * (a prom-client `inc` with labels hashes them on every call: per MQTT publish and stream chunk, that showed in
 * the profiles of `pnpm bench:tunnel`). The registry reads the totals when scraped.
 */
export class RunningCounter<L extends string> {
  readonly #slots = new Map<string, { labels: Record<L, string>; slot: CounterSlot }>();
  readonly #labelNames: readonly L[];

  constructor(registers: Registry[], config: { name: string; help: string; labelNames: readonly L[] }) {
    this.#labelNames = config.labelNames;
    const slots = this.#slots;
    new Counter({
      name: config.name,
      help: config.help,
      labelNames: [...config.labelNames],
      registers,
      collect() {
        this.reset();
        for (const { labels, slot } of slots.values()) if (slot.total > 0) this.inc(labels, slot.total);
      },
    });
  }

  /** The slot of `labels` (the same one each time): keep it where counting is hot. */
  slot(labels: Record<L, string>): CounterSlot {
    const key = this.#labelNames.map((name) => labels[name]).join('\0');
    let entry = this.#slots.get(key);
    if (!entry) this.#slots.set(key, (entry = { labels: { ...labels }, slot: { total: 0 } }));
    return entry.slot;
  }

  /** Adds `n` to the total of `labels` (a slot lookup: for counts off the hot path). */
  add(labels: Record<L, string>, n = 1): void {
    this.slot(labels).total += n;
  }
}
