import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { bodyForAttempt, Cancellation, wholeBody, type PreparedBody } from '@tether/shared';
import { closePairs, pair, req } from './tunnel-pair.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

afterEach(closePairs);

/** True once nothing holds what `ref` points to any more (collected within a few turns). */
async function collected(ref: WeakRef<object>): Promise<boolean> {
  for (let i = 0; i < 10; i++) {
    await new Promise((r) => setImmediate(r));
    gc();
    await new Promise((r) => setImmediate(r));
    if (ref.deref() === undefined) return true;
  }
  return false;
}

describe('a call waiting for its answer', () => {
  it('holds no request body once the REQUEST left (a 64 KiB body reached the old generation under load)', async () => {
    const { caller, callee } = await pair();
    let received!: () => void;
    const arrived = new Promise<void>((resolve) => (received = resolve));
    callee.serve(async (call) => {
      for await (const chunk of call.body) void chunk;
      received();
      return new Promise(() => undefined); // answers never: the call stays in flight
    });
    const cancel = new Cancellation();
    let ref!: WeakRef<Uint8Array>;
    const pending = (() => {
      const chunk = new Uint8Array(1000).fill(1);
      ref = new WeakRef(chunk);
      return caller.call(req, { timeoutMs: 60_000, signal: cancel.signal, body: wholeBody([chunk]) });
    })();
    pending.catch(() => undefined);
    await arrived;
    expect(await collected(ref)).toBe(true);
    cancel.abort(new Error('done'));
    await expect(pending).rejects.toThrow();
  });
});

describe('bodyForAttempt', () => {
  it('replays a buffered body for an attempt that may be retried, and hands its chunks over on the last', async () => {
    const chunk = Uint8Array.from([1, 2]);
    const body: PreparedBody = { kind: 'buffered', chunks: [chunk] };
    const read = async (b: AsyncIterable<Uint8Array> | undefined): Promise<number[]> => {
      const out: number[] = [];
      for await (const c of b ?? []) out.push(...c);
      return out;
    };
    expect(await read(bodyForAttempt(body))).toEqual([1, 2]);
    const earlier = bodyForAttempt(body);
    expect(await read(bodyForAttempt(body, true))).toEqual([1, 2]);
    expect(body.kind === 'buffered' && body.chunks).toEqual([]);
    expect(await read(earlier)).toEqual([1, 2]); // an earlier attempt's copy is not emptied by the last one
  });
});
