/**
 * Memoises a labelled metric's children by label values: prom-client's `labels(...)` hashes and validates the labels
 * on every call, which a per-call hot path should pay once per label set. Bounded: past `max` sets it starts over.
 */
export function metricChildren<T>(
  metric: { labels(...values: string[]): T },
  max = 10_000,
): (...values: string[]) => T {
  const children = new Map<string, T>();
  return (...values) => {
    const key = values.join('\u0000');
    let child = children.get(key);
    if (child === undefined) {
      if (children.size >= max) children.clear();
      child = metric.labels(...values);
      children.set(key, child);
    }
    return child;
  };
}
