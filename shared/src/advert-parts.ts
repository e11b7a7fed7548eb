import { MAX_ROUTES_PER_MESSAGE } from './messages.js';
import type { Route, RouteKey } from './route.js';

/**
 * The most encoded bytes of routes (or keys) one advert message carries: with the envelope it stays under the
 * broker's default packet limit of 256 KiB, which closes the connection of an agent sending more.
 */
export const MAX_ADVERT_BYTES = 192 * 1024;

/** One part of a delta: upserts and removes, each within the limits of one message. */
export interface DeltaPart {
  upserts: Route[];
  removes: RouteKey[];
}

/**
 * Cuts `items` into consecutive parts of at most `maxBytes` (by `size`, plus one for the separator) and
 * `maxItems` items each, in order. Always at least one part (empty when there are no items); an item larger than
 * `maxBytes` goes alone in its part.
 */
export function chunkBySize<T>(
  items: readonly T[],
  size: (item: T) => number,
  maxBytes: number,
  maxItems: number = MAX_ROUTES_PER_MESSAGE,
): T[][] {
  const parts: T[][] = [[]];
  let bytes = 0;
  for (const item of items) {
    const n = size(item) + 1;
    const current = parts[parts.length - 1]!;
    if (current.length > 0 && (bytes + n > maxBytes || current.length >= maxItems)) {
      parts.push([item]);
      bytes = n;
    } else {
      current.push(item);
      bytes += n;
    }
  }
  return parts;
}

const encodedSize = (value: unknown): number => Buffer.byteLength(JSON.stringify(value));

/** A snapshot's routes in parts that each fit one advert message. */
export function snapshotParts(routes: readonly Route[], maxBytes = MAX_ADVERT_BYTES): Route[][] {
  return chunkBySize(routes, encodedSize, maxBytes);
}

/** A delta in parts that each fit one advert message: upserts first, then removes, in order. */
export function deltaParts(
  upserts: readonly Route[],
  removes: readonly RouteKey[],
  maxBytes = MAX_ADVERT_BYTES,
): DeltaPart[] {
  const items: Array<{ upsert: Route } | { remove: RouteKey }> = [
    ...upserts.map((upsert) => ({ upsert })),
    ...removes.map((remove) => ({ remove })),
  ];
  return chunkBySize(
    items,
    (item) => encodedSize('upsert' in item ? item.upsert : item.remove),
    maxBytes,
  ).map((part) => ({
    upserts: part.flatMap((item) => ('upsert' in item ? [item.upsert] : [])),
    removes: part.flatMap((item) => ('remove' in item ? [item.remove] : [])),
  }));
}
