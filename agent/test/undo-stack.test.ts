import { describe, expect, it } from 'vitest';
import { startOrUndo } from '../src/undo-stack.js';
import { quietLogger } from './helpers.js';

describe('startOrUndo', () => {
  it('undoes what started, newest first, past a failing undo, and rethrows the original error', async () => {
    const undone: string[] = [];
    const failure = new Error('the third part would not start');
    const started = startOrUndo(quietLogger, async (undo) => {
      undo.defer('a', () => void undone.push('a'));
      undo.defer('b', () => {
        throw new Error('b would not stop');
      });
      undo.defer('c', async () => {
        await Promise.resolve();
        undone.push('c');
      });
      throw failure;
    });
    await expect(started).rejects.toBe(failure);
    expect(undone).toEqual(['c', 'a']);
  });

  it('undoes nothing when the start succeeds', async () => {
    const undone: string[] = [];
    const value = await startOrUndo(quietLogger, async (undo) => {
      undo.defer('a', () => void undone.push('a'));
      return 42;
    });
    expect(value).toBe(42);
    expect(undone).toEqual([]);
  });
});
