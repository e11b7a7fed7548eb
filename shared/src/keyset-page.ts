/** One page of a walk in key order: the items, and the key to go on after (null: nothing more). */
export interface KeysetPage<T> {
  items: T[];
  next: string | null;
}

/** How many entries one page looks at, at most, before it answers short (with a key to go on from). */
export const PAGE_SCAN_BUDGET = 20_000;

/**
 * One page from `entries` (ascending by key, every one after the cursor): up to `limit` values that `keep` accepts,
 * and the key to go on after. `next` is null only when the entries ran out; after `budget` entries (a sparse
 * filter) the page answers short with the last key looked at, so no request walks the whole table. A row that
 * keeps its key is never skipped nor repeated by a walk that follows `next`, whatever changes around it.
 */
export function takePage<T>(
  entries: Iterable<readonly [string, T]>,
  keep: (value: T) => boolean,
  limit: number,
  budget = PAGE_SCAN_BUDGET,
): KeysetPage<T> {
  const items: T[] = [];
  let last: string | null = null;
  let scanned = 0;
  for (const [key, value] of entries) {
    if (scanned++ >= Math.max(1, budget)) return { items, next: last };
    if (!keep(value)) {
      if (items.length < limit) last = key;
      continue;
    }
    // A further match exists: the page is full and there is more.
    if (items.length >= limit) return { items, next: last };
    items.push(value);
    last = key;
  }
  return { items, next: null };
}

/** The entries of a key-ordered array strictly after `after` (all of them when it is undefined), by binary search. */
export function* entriesAfter<T>(
  sorted: readonly (readonly [string, T])[],
  after: string | undefined,
): Generator<readonly [string, T]> {
  let lo = 0;
  if (after !== undefined) {
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid]![0] <= after) lo = mid + 1;
      else hi = mid;
    }
  }
  for (let i = lo; i < sorted.length; i++) yield sorted[i]!;
}
