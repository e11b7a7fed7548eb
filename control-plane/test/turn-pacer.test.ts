import { describe, expect, it } from 'vitest';
import { TurnPacer } from '../src/broker/turn-pacer.js';

const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('TurnPacer', () => {
  it('hands items on in arrival order, at most perTurn an event-loop turn, never in the pushing call', async () => {
    const handed: number[] = [];
    const pacer = new TurnPacer<number>((n) => handed.push(n), 32);
    for (let i = 0; i < 100; i++) pacer.push(i);
    expect(handed).toEqual([]);
    expect(pacer.size).toBe(100);
    const perTurn: number[] = [];
    for (let turn = 0; turn < 10 && handed.length < 100; turn++) {
      const before = handed.length;
      await nextTurn();
      perTurn.push(handed.length - before);
    }
    expect(perTurn).toEqual([32, 32, 32, 4]);
    expect(handed).toEqual([...Array(100).keys()]);
    expect(pacer.size).toBe(0);
  });

  it('takes items pushed while it drains (by a handler) in a later batch, and keeps order over a long queue', async () => {
    const handed: number[] = [];
    const pacer: TurnPacer<number> = new TurnPacer<number>((n) => {
      handed.push(n);
      if (n < 3) pacer.push(n + 10_000);
    }, 2);
    for (let i = 0; i < 10_000; i++) pacer.push(i);
    for (let turn = 0; turn < 6_000 && pacer.size > 0; turn++) await nextTurn();
    expect(handed.length).toBe(10_003);
    expect(handed.slice(0, 10_000)).toEqual([...Array(10_000).keys()]);
    expect(handed.slice(10_000)).toEqual([10_000, 10_001, 10_002]);
  });
});
