import { describe, expect, it } from 'vitest';
import { collectEarly, InboundBody, watchBody, wholeBody, wholeEarly } from '@tether/shared';

/** A turn the test ends by hand. */
function manualTurn(): { turn: () => Promise<void>; end: () => void } {
  let end: () => void = () => undefined;
  const over = new Promise<void>((r) => (end = r));
  return { turn: () => over, end };
}

async function* bytes(...parts: number[][]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield Uint8Array.from(p);
}

async function all(body: AsyncIterable<Uint8Array>): Promise<number[]> {
  const out: number[] = [];
  for await (const c of body) out.push(...c);
  return out;
}

describe('collectEarly', () => {
  it('takes a body that is complete within the turn whole', async () => {
    const early = await collectEarly(bytes([1], [2, 3]), 100);
    expect([...early.head]).toEqual([1, 2, 3]);
    expect(early.ended).toBe(true);
    expect(await all(early.rest)).toEqual([]);
  });

  it('stops at the limit and streams the rest, the overflowing chunk first', async () => {
    const early = await collectEarly(bytes([1, 2], [3, 4], [5]), 3);
    expect([...early.head]).toEqual([1, 2]);
    expect(early.ended).toBe(false);
    expect(await all(early.rest)).toEqual([3, 4, 5]);
  });

  it('streams what arrives after the turn, keeping the read in progress', async () => {
    const t = manualTurn();
    let later: (() => void) | undefined;
    const body = (async function* () {
      yield Uint8Array.from([1]);
      await new Promise<void>((r) => (later = r));
      yield Uint8Array.from([2]);
    })();
    const pending = collectEarly(body, 100, t.turn);
    await new Promise((r) => setImmediate(r));
    t.end();
    const early = await pending;
    expect([...early.head]).toEqual([1]);
    expect(early.ended).toBe(false);
    later!();
    expect(await all(early.rest)).toEqual([2]);
  });

  it('throws an error the body raises within the turn, and hands a later one to the reader of the rest', async () => {
    const failing = (async function* () {
      yield Uint8Array.from([1]);
      throw new Error('boom');
    })();
    await expect(collectEarly(failing, 100)).rejects.toThrow('boom');
    const t = manualTurn();
    let fail: (() => void) | undefined;
    const late = (async function* () {
      yield Uint8Array.from([1]);
      await new Promise<void>((r) => (fail = r));
      throw new Error('late');
    })();
    const pending = collectEarly(late, 100, t.turn);
    await new Promise((r) => setImmediate(r));
    t.end();
    const early = await pending;
    fail!();
    await expect(all(early.rest)).rejects.toThrow('late');
  });

  it('releases the source on cancel', async () => {
    let released = false;
    const t = manualTurn();
    const body = (async function* () {
      try {
        yield Uint8Array.from([1]);
        yield Uint8Array.from([2]);
      } finally {
        released = true;
      }
    })();
    const it = body[Symbol.asyncIterator]();
    const slow: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          const r = await it.next();
          await new Promise((res) => setImmediate(res));
          return r;
        },
        return: async () => it.return(undefined),
      }),
    };
    const pending = collectEarly(slow, 100, t.turn);
    t.end();
    const early = await pending;
    expect(early.ended).toBe(false);
    await early.cancel();
    expect(released).toBe(true);
  });
});

describe('whole bodies', () => {
  const never = (): Promise<void> => new Promise(() => undefined);

  it('hands a whole body over without a turn, and only once', async () => {
    const body = wholeBody([Uint8Array.from([1]), Uint8Array.from([2, 3])]);
    const early = await collectEarly(body, 100, never);
    expect([...early.head]).toEqual([1, 2, 3]);
    expect(early.ended).toBe(true);
    expect(body.takeWhole(100)).toBeUndefined();
    expect(await all(body)).toEqual([]);
  });

  it('keeps the chunks of a whole body as they came (empty ones dropped), joined only for `head`', async () => {
    const chunks = [Uint8Array.from([1]), new Uint8Array(0), Uint8Array.from([2, 3])];
    const early = await collectEarly(wholeBody(chunks), 100, never);
    expect(early.parts).toEqual([chunks[0], chunks[2]]);
    expect(early.parts[0]).toBe(chunks[0]); // the same bytes, not a copy
    expect([...early.head]).toEqual([1, 2, 3]);
    expect(early.head).toBe(early.head); // joined once
  });

  it('gives a whole body at once (wholeEarly), and nothing for one still arriving or over the limit', () => {
    const early = wholeEarly(wholeBody([Uint8Array.from([1]), Uint8Array.from([2])]), 100);
    expect(early?.ended).toBe(true);
    expect(early && [...early.head]).toEqual([1, 2]);
    const arriving = new InboundBody({ grant: () => undefined, abandon: () => undefined });
    arriving.push(Uint8Array.from([7]));
    expect(wholeEarly(arriving, 100)).toBeUndefined();
    expect(wholeEarly(wholeBody([Uint8Array.from([1, 2, 3])]), 2)).toBeUndefined();
    expect(wholeEarly((async function* () {})(), 100)).toBeUndefined();
  });

  it('streams a whole body larger than the limit as usual', async () => {
    const early = await collectEarly(wholeBody([Uint8Array.from([1, 2]), Uint8Array.from([3])]), 2);
    expect([...early.head]).toEqual([1, 2]);
    expect(await all(early.rest)).toEqual([3]);
  });

  it('takes a tunnel body whole only once it ended', () => {
    const body = new InboundBody({ grant: () => undefined, abandon: () => undefined });
    body.push(Uint8Array.from([7]));
    expect(body.takeWhole(100)).toBeUndefined();
    body.end();
    expect(body.takeWhole(0)).toBeUndefined();
    expect(body.takeWhole(100)?.map((c) => [...c])).toEqual([[7]]);
    expect(() => body[Symbol.asyncIterator]()).toThrow('read only once');
  });

  it('watchBody tells once how a body ended: complete (also when taken whole), failed or abandoned', async () => {
    const ends: string[] = [];
    const watched = (b: AsyncIterable<Uint8Array>) => watchBody(b, (e) => ends.push(e.kind));
    await all(watched(bytes([1], [2])));
    expect(watched(wholeBody([Uint8Array.from([1])])).takeWhole(10)).toHaveLength(1);
    const failing = (async function* () {
      yield Uint8Array.from([1]);
      throw new Error('boom');
    })();
    await expect(all(watched(failing))).rejects.toThrow('boom');
    for await (const _ of watched(bytes([1], [2]))) break;
    expect(ends).toEqual(['complete', 'complete', 'failed', 'abandoned']);
  });
});
