import { describe, expect, it } from 'vitest';
import { abortReason, Cancellation, type CancelSignal } from '@tether/shared';

/** A controller as a call sees it: node's AbortController or a Cancellation. */
interface Controller {
  signal: CancelSignal;
  abort(reason?: unknown): void;
}

/** The same steps on a controller, as a trace of what ran. */
function trace(make: () => Controller): string[] {
  const out: string[] = [];
  const c = make();
  const a = (): void => void out.push('a');
  const d = (): void => void out.push('d');
  const e = (): void => void out.push('e');
  const b = (): void => {
    out.push('b');
    c.signal.removeEventListener('abort', d); // removed before its turn: not called
    c.signal.addEventListener('abort', () => out.push('late')); // added during the abort: not called
  };
  c.signal.addEventListener('abort', a, { once: true });
  c.signal.addEventListener('abort', a); // the same listener twice: called once
  c.signal.addEventListener('abort', b);
  c.signal.addEventListener('abort', d);
  c.signal.addEventListener('abort', e);
  c.signal.removeEventListener('abort', e);
  out.push(`aborted ${c.signal.aborted}`);
  c.abort('why');
  c.abort('again');
  c.signal.addEventListener('abort', () => out.push('after'));
  out.push(`aborted ${c.signal.aborted} reason ${String(c.signal.reason)}`);
  return out;
}

describe('Cancellation', () => {
  it('follows the AbortController rules a call relies on, step for step', () => {
    const ours = trace(() => new Cancellation());
    expect(ours).toEqual(['aborted false', 'a', 'b', 'aborted true reason why']);
    expect(ours).toEqual(trace(() => new AbortController()));
  });

  it('gives an AbortError as the reason when aborted with none', () => {
    const c = new Cancellation();
    c.abort();
    expect(c.reason).toBeInstanceOf(DOMException);
    expect((c.reason as DOMException).name).toBe('AbortError');
    expect(abortReason(c)).toBe(c.reason);
  });

  it('keeps a null reason as AbortController does', () => {
    const ours = new Cancellation();
    const node = new AbortController();
    ours.abort(null);
    node.abort(null);
    expect(ours.reason).toBe(node.signal.reason);
  });

  it('wraps a reason that is not an Error', () => {
    const c = new Cancellation();
    c.abort('gone');
    expect(abortReason(c)).toBeInstanceOf(Error);
    expect(abortReason(c).message).toBe('gone');
  });

  it('runs every listener when one throws, and rethrows that error on a microtask', async () => {
    const c = new Cancellation();
    const ran: string[] = [];
    c.addEventListener('abort', () => {
      throw new Error('listener failed');
    });
    c.addEventListener('abort', () => void ran.push('second'));
    const seen = new Promise<unknown>((resolve) => process.once('uncaughtException', resolve));
    c.abort(new Error('cancelled'));
    expect(ran).toEqual(['second']);
    expect(((await seen) as Error).message).toBe('listener failed');
  });
});
