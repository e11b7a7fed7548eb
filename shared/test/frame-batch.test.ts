import { describe, expect, it } from 'vitest';
import { decodeFrames, encodeFrame, FrameBatcher, MAX_FRAMES_PER_BATCH, type Frame } from '@tether/shared';

/** One message's bytes as the transport would put them on the wire. */
function joined(parts: readonly Uint8Array[], size: number): Uint8Array {
  const out = Buffer.concat(parts);
  expect(out.byteLength).toBe(size);
  return out;
}

const data = (id: number, size = 1): Frame => ({
  type: 'data',
  id,
  fromCaller: true,
  body: new Uint8Array(size),
});
const ids = (payload: Uint8Array): number[] => decodeFrames(payload).map((d) => (d.ok ? d.frame.id : -1));

/** A turn the test ends by hand. */
function turns(): { turn: () => Promise<void>; next: () => Promise<void> } {
  let waiting: Array<() => void> = [];
  return {
    turn: () => new Promise<void>((r) => waiting.push(r)),
    next: async () => {
      const now = waiting;
      waiting = [];
      for (const r of now) r();
      await new Promise((r) => setImmediate(r));
    },
  };
}

describe('inline bodies given as parts', () => {
  const response = (inline: { body?: Uint8Array; parts?: Uint8Array[] }): Frame => ({
    type: 'response',
    id: 7,
    fromCaller: false,
    header: { status: 200, headers: [] },
    end: true,
    ...inline,
  });

  it('encode to the same bytes as the joined body, and decode to it', () => {
    const parts = [Uint8Array.from([1, 2]), Uint8Array.from([3]), Uint8Array.from([4, 5, 6])];
    const joined = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    const wire = encodeFrame(response({ parts }));
    expect([...wire]).toEqual([...encodeFrame(response({ body: joined }))]);
    const [decoded] = decodeFrames(wire);
    expect(decoded?.ok && decoded.frame.type === 'response' && [...(decoded.frame.body ?? [])]).toEqual([
      ...joined,
    ]);
  });

  it('travel in a batch as written, each part handed on as it is', async () => {
    const { turn, next } = turns();
    const sent: Uint8Array[] = [];
    const batcher = new FrameBatcher(async (parts, size) => void sent.push(joined(parts, size)), turn);
    const parts = [Uint8Array.from([9, 8]), Uint8Array.from([7])];
    batcher.post(response({ parts }));
    batcher.post(data(8, 2));
    await next();
    expect(sent).toHaveLength(1);
    const frames = decodeFrames(sent[0]!);
    expect(frames.map((d) => d.ok && d.frame.type)).toEqual(['response', 'data']);
    const first = frames[0];
    expect(first?.ok && first.frame.type === 'response' && [...(first.frame.body ?? [])]).toEqual([9, 8, 7]);
  });
});

describe('decodeFrames', () => {
  it('decodes frames laid back to back, in order', () => {
    const bytes = Uint8Array.from([
      ...encodeFrame(data(1)),
      ...encodeFrame(data(2, 5)),
      ...encodeFrame(data(3)),
    ]);
    expect(ids(bytes)).toEqual([1, 2, 3]);
  });

  it('stops at a frame cut short, keeping the ones before', () => {
    const two = Uint8Array.from([...encodeFrame(data(1)), ...encodeFrame(data(2, 5))]);
    expect(decodeFrames(two.subarray(0, two.byteLength - 1))).toEqual([
      expect.objectContaining({ ok: true }),
      { ok: false, reason: 'length' },
    ]);
    expect(decodeFrames(new Uint8Array(0))).toEqual([{ ok: false, reason: 'short' }]);
  });
});

describe('FrameBatcher', () => {
  it('sends the frames of one turn as one message, and each later turn its own', async () => {
    const sent: Uint8Array[] = [];
    const t = turns();
    const batcher = new FrameBatcher(async (parts, size) => void sent.push(joined(parts, size)), t.turn);
    const done = [batcher.send(data(1)), batcher.send(data(2)), batcher.send(data(3))];
    expect(sent).toHaveLength(0);
    await t.next();
    await Promise.all(done);
    expect(sent.map(ids)).toEqual([[1, 2, 3]]);
    await Promise.all([batcher.send(data(4)), t.next()]);
    expect(sent.map(ids)).toEqual([[1, 2, 3], [4]]);
  });

  it("sends a call's REQUEST or RESPONSE after a whole quiet turn as soon as the work in hand is done, the rest with their turn", async () => {
    const sent: Uint8Array[] = [];
    const t = turns();
    const soon: Array<() => void> = [];
    const runSoon = (): void => {
      for (const task of soon.splice(0)) task();
    };
    const batcher = new FrameBatcher(
      async (parts, size) => void sent.push(joined(parts, size)),
      t.turn,
      undefined,
      (task) => soon.push(task),
    );
    const answer = (id: number): Frame => ({
      type: 'response',
      id,
      fromCaller: false,
      header: { status: 200, headers: [] },
      end: true,
    });
    // Stream bytes after a quiet turn: they ride the turn's batch.
    batcher.post(data(1));
    runSoon();
    expect(sent).toHaveLength(0);
    await t.next();
    expect(sent.map(ids)).toEqual([[1]]);
    await t.next(); // a whole turn without a message
    batcher.post(answer(2));
    batcher.post(data(3));
    expect(sent).toHaveLength(1);
    runSoon();
    expect(sent.map(ids)).toEqual([[1], [2, 3]]);
    // Later in the same turn: these wait for the turn, however soon the work in hand is done.
    batcher.post(answer(4));
    batcher.post(data(5));
    runSoon();
    expect(sent.map(ids)).toEqual([[1], [2, 3]]);
    await t.next();
    expect(sent.map(ids)).toEqual([[1], [2, 3], [4, 5]]);
    // The link was busy last turn: this turn's answer waits for its end too (whole-turn batches under load).
    batcher.post(answer(6));
    runSoon();
    expect(sent.map(ids)).toEqual([[1], [2, 3], [4, 5]]);
    await t.next();
    expect(sent.map(ids)).toEqual([[1], [2, 3], [4, 5], [6]]);
    // A whole turn without a message: the next answer leaves early once more.
    await t.next();
    batcher.post(answer(7));
    runSoon();
    expect(sent.map(ids)).toEqual([[1], [2, 3], [4, 5], [6], [7]]);
  });

  it('starts a new message when the next frame would pass the size limit, keeping the order', async () => {
    const sent: Uint8Array[] = [];
    const t = turns();
    const frameBytes = encodeFrame(data(1, 100)).byteLength;
    const batcher = new FrameBatcher(
      async (parts, size) => void sent.push(joined(parts, size)),
      t.turn,
      frameBytes * 2,
    );
    for (let i = 1; i <= 5; i++) void batcher.send(data(i, 100));
    expect(sent.map(ids)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    await t.next();
    expect(sent.map(ids)).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('sends a batch as soon as it holds MAX_FRAMES_PER_BATCH frames, the rest at the end of the turn', async () => {
    const sent: Uint8Array[] = [];
    const t = turns();
    const batcher = new FrameBatcher(async (parts, size) => void sent.push(joined(parts, size)), t.turn);
    const n = MAX_FRAMES_PER_BATCH * 2 + 3;
    for (let i = 1; i <= n; i++) void batcher.send(data(i));
    const all = Array.from({ length: n }, (_, i) => i + 1);
    expect(sent.map(ids)).toEqual([all.slice(0, MAX_FRAMES_PER_BATCH), all.slice(MAX_FRAMES_PER_BATCH, -3)]);
    await t.next();
    expect(sent.map(ids)).toEqual([
      all.slice(0, MAX_FRAMES_PER_BATCH),
      all.slice(MAX_FRAMES_PER_BATCH, -3),
      all.slice(-3),
    ]);
  });

  it('fails every frame of a message whose publish threw at once, and keeps going', async () => {
    const t = turns();
    let calls = 0;
    const batcher = new FrameBatcher(() => {
      calls++;
      if (calls === 1) throw new Error('not connected');
      return Promise.resolve();
    }, t.turn);
    const first = Array.from({ length: MAX_FRAMES_PER_BATCH }, (_, i) => batcher.send(data(i + 1)));
    const results = await Promise.allSettled(first);
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    const later = batcher.send(data(100));
    await t.next();
    await expect(later).resolves.toBeUndefined();
  });

  it('fails every frame of a message the transport refused', async () => {
    const t = turns();
    const batcher = new FrameBatcher(() => Promise.reject(new Error('link down')), t.turn);
    const a = batcher.send(data(1));
    const b = batcher.send(data(2));
    await t.next();
    await expect(a).rejects.toThrow('link down');
    await expect(b).rejects.toThrow('link down');
  });

  it('posts frames without a promise each, telling each distinct failure callback once per failed message', async () => {
    const t = turns();
    const sent: Uint8Array[] = [];
    let fail = true;
    const batcher = new FrameBatcher((parts, size) => {
      if (fail) return Promise.reject(new Error('link down'));
      sent.push(joined(parts, size));
      return Promise.resolve();
    }, t.turn);
    const told: string[] = [];
    const a = (err: unknown): void => void told.push(`a ${(err as Error).message}`);
    const b = (err: unknown): void => void told.push(`b ${(err as Error).message}`);
    batcher.post(data(1), a);
    batcher.post(data(2), a);
    batcher.post(data(3), b);
    batcher.post(data(4));
    await t.next();
    expect(told).toEqual(['a link down', 'b link down']);
    fail = false;
    batcher.post(data(5), a);
    const sentToo = batcher.send(data(6));
    await t.next();
    await sentToo;
    expect(sent.map(ids)).toEqual([[5, 6]]);
    expect(told).toHaveLength(2);
  });
});
