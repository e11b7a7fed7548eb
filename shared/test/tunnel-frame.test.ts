import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, FRAME_PREFIX_BYTES, MAX_CHUNK_BYTES, type Frame } from '@tether/shared';

const request: Frame = {
  type: 'request',
  id: 0xfffffffe,
  fromCaller: true,
  header: {
    service: 'orders',
    method: 'POST',
    path: '/a/b',
    query: 'x=1',
    headers: [['content-type', 'application/json']],
    timeoutMs: 1000,
    caller: 'edge-1',
    hops: 1,
    body: true,
  },
};

describe('tunnel frame codec', () => {
  it('round-trips every frame type', () => {
    const frames: Frame[] = [
      request,
      { type: 'response', id: 7, fromCaller: false, header: { status: 201, headers: [['a', 'b']] } },
      { type: 'data', id: 7, fromCaller: true, body: new Uint8Array([0, 1, 255]) },
      { type: 'end', id: 7, fromCaller: false },
      { type: 'credit', id: 7, fromCaller: true, header: { n: 4 } },
      { type: 'cancel', id: 7, fromCaller: true, header: { reason: 'gone' } },
      { type: 'error', id: 7, fromCaller: false, header: { code: 'timeout', message: 'late', status: 504 } },
      { ...request, body: new Uint8Array([1, 2, 3]), end: true },
      { ...request, body: new Uint8Array([4]) },
      { type: 'response', id: 7, fromCaller: false, header: { status: 200, headers: [] }, end: true },
    ];
    // Copied into a plain Uint8Array, as a transport may hand it over (the body then decodes as one too).
    for (const frame of frames)
      expect(decodeFrame(Uint8Array.from(encodeFrame(frame)))).toEqual({ ok: true, frame });
  });

  it('lays out the prefix as docs/tunnel.md says', () => {
    const bytes = encodeFrame({ type: 'data', id: 0x01020304, fromCaller: true, body: new Uint8Array([9]) });
    expect([...bytes]).toEqual([2, 3, 1, 2, 3, 4, 1, 0, 0, 0, 0, 0, 0, 0, 1, 9]);
    const whole = encodeFrame({ ...request, body: new Uint8Array([9]), end: true });
    expect(whole[6]).toBe(3);
    expect(whole[whole.byteLength - 1]).toBe(9);
    const credit = encodeFrame({ type: 'credit', id: 1, fromCaller: false, header: { n: 2 } });
    expect(credit[6]).toBe(0);
    expect(new DataView(credit.buffer, credit.byteOffset).getUint32(7)).toBe(
      credit.byteLength - FRAME_PREFIX_BYTES,
    );
  });

  it('refuses malformed frames with a reason', () => {
    const good = encodeFrame(request);
    const credit = encodeFrame({ type: 'credit', id: 1, fromCaller: true, header: { n: 1 } });
    const dataFrame = encodeFrame({ type: 'data', id: 1, fromCaller: true, body: new Uint8Array([1]) });
    const cases: Array<[Uint8Array, string]> = [
      [good.subarray(0, 5), 'short'],
      [Uint8Array.from([1, ...good.subarray(1)]), 'version'],
      [Uint8Array.from([2, 99, ...good.subarray(2)]), 'type'],
      [Uint8Array.from([...good.subarray(0, 6), 4, ...good.subarray(7)]), 'flags'],
      [Uint8Array.from([...good.subarray(0, 6), 0, ...good.subarray(7)]), 'request_from_callee'],
      [Uint8Array.from([...credit, 1]), 'length'],
      [Uint8Array.from([...credit.subarray(0, 14), 1, ...credit.subarray(15), 1]), 'trailing_bytes'],
      [Uint8Array.from([...dataFrame.subarray(0, 6), 3, ...dataFrame.subarray(7)]), 'flags'],
      [
        encodeFrame({ ...request, header: { ...request.header, body: false }, end: true }),
        'body_without_flag',
      ],
      [encodeFrame({ ...request, body: new Uint8Array(MAX_CHUNK_BYTES + 1) }), 'chunk_size'],
      [good.subarray(0, good.byteLength - 1), 'length'],
      [Uint8Array.from([...good.subarray(0, 7), 0, 2, 0, 0, ...good.subarray(11)]), 'header_length'],
      [encodeFrame({ type: 'credit', id: 1, fromCaller: true, header: { n: 0 } }), 'credit_header'],
      [
        encodeFrame({ type: 'data', id: 1, fromCaller: true, body: new Uint8Array(MAX_CHUNK_BYTES + 1) }),
        'chunk_size',
      ],
    ];
    for (const [bytes, reason] of cases) expect(decodeFrame(bytes)).toEqual({ ok: false, reason });
  });

  it('rejects a header that is not valid JSON or not valid UTF-8', () => {
    const bytes = encodeFrame({ type: 'cancel', id: 1, fromCaller: true, header: { reason: 'xx' } });
    const broken = Uint8Array.from(bytes);
    broken[FRAME_PREFIX_BYTES] = 0xff;
    expect(decodeFrame(broken)).toEqual({ ok: false, reason: 'cancel_header' });
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const r = decodeFrame(bytes);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 255 }), (at, value) => {
        const bytes = Uint8Array.from(encodeFrame(request));
        if (at < bytes.length) bytes[at] = value;
        expect(typeof decodeFrame(bytes).ok).toBe('boolean');
      }),
    );
  });
});
