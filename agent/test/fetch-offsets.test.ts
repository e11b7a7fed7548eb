import { describe, expect, it } from 'vitest';
import { fetchOffsets, UPGRADE_FETCH_WINDOW } from '../src/upgrades/upgrade-receiver.js';

const C = 100;

describe('fetchOffsets (the upgrade chunks an agent asks for next)', () => {
  it.each([
    ['a new transfer: the whole window', 0, 0, 10_000, [0, 100, 200, 300, 400, 500, 600, 700]],
    ['one chunk written: one more', 100, 800, 10_000, [800]],
    ['the window still full: none', 0, 800, 10_000, []],
    ['a short build: up to its end', 0, 0, 250, [0, 100, 200]],
    ['everything asked for: none', 200, 300, 250, []],
    [
      'a resume (asked again from what is written)',
      500,
      500,
      10_000,
      [500, 600, 700, 800, 900, 1000, 1100, 1200],
    ],
    ['asked below what is written: from what is written', 500, 300, 800, [500, 600, 700]],
  ])('%s', (_, written, requested, total, expected) => {
    expect(fetchOffsets(written, requested, total, C)).toEqual(expected);
  });

  it('never asks twice, nor past the end, nor more than the window ahead, through a whole transfer', () => {
    const total = 5_050;
    const asked: number[] = [];
    let written = 0;
    let requested = 0;
    for (let step = 0; step < 1_000 && written < total; step++) {
      for (const offset of fetchOffsets(written, requested, total, C)) {
        asked.push(offset);
        requested = offset + C;
      }
      expect(requested - written).toBeLessThanOrEqual(UPGRADE_FETCH_WINDOW * C);
      written = Math.min(total, written + C); // the next chunk arrives
    }
    expect(written).toBe(total);
    expect(asked).toEqual(Array.from({ length: 51 }, (_, i) => i * C));
  });
});
