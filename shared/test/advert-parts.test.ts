import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  chunkBySize,
  deltaParts,
  encode,
  MAX_ADVERT_BYTES,
  routeKey,
  snapshotParts,
  type Route,
} from '@tether/shared';
import { route } from './fixtures.js';

const size = (n: number): number => n;

describe('chunkBySize', () => {
  it('keeps every item, in order, each part within the byte and count limits', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 200 }),
        fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: 1, max: 20 }),
        (items, maxBytes, maxItems) => {
          const parts = chunkBySize(items, size, maxBytes, maxItems);
          expect(parts.flat()).toEqual(items);
          expect(parts.length).toBeGreaterThan(0);
          for (const part of parts) {
            expect(part.length).toBeLessThanOrEqual(maxItems);
            const bytes = part.reduce((sum, n) => sum + n + 1, 0);
            // Only an item too big on its own may overflow, and then it is alone.
            if (bytes > maxBytes) expect(part).toHaveLength(1);
          }
          // No needless parts: each part but the last was full for the next item.
          parts.slice(0, -1).forEach((part, i) => {
            const next = parts[i + 1]![0]!;
            const bytes = part.reduce((sum, n) => sum + n + 1, 0);
            expect(bytes + next + 1 > maxBytes || part.length === maxItems).toBe(true);
          });
        },
      ),
    );
  });

  it('gives one empty part for no items', () => {
    expect(chunkBySize([], size, 10)).toEqual([[]]);
  });
});

describe('advert parts', () => {
  const many: Route[] = Array.from({ length: 10_000 }, (_, i) =>
    route({
      service: `svc-${i}`,
      address: `http://10.0.${i >> 8}.${i & 255}:8080`,
      labels: { zone: 'eu-1' },
    }),
  );

  it('cuts 10,000 routes into snapshot parts that each encode under the packet limit', () => {
    const parts = snapshotParts(many);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.flat()).toEqual(many);
    for (const part of parts) {
      const message = encode({ v: 1, type: 'advert-snapshot', epoch: 'e', seq: 1, routes: part, more: true });
      expect(Buffer.byteLength(message)).toBeLessThan(MAX_ADVERT_BYTES + 1024);
    }
  });

  it('cuts a delta into parts holding every upsert and remove once', () => {
    const removes = many.slice(0, 3000).map(routeKey);
    const parts = deltaParts(many.slice(3000), removes);
    expect(parts.flatMap((p) => p.upserts)).toEqual(many.slice(3000));
    expect(parts.flatMap((p) => p.removes)).toEqual(removes);
    for (const part of parts) expect(Buffer.byteLength(encode(part))).toBeLessThan(MAX_ADVERT_BYTES + 1024);
  });
});
