import { describe, expect, it } from 'vitest';
import { framedHeaders } from '../src/index.js';

const early = (bytes: number, ended: boolean) => ({ ended, head: new Uint8Array(bytes) });

describe('framedHeaders: the body framing of a forwarded request is set here, never taken from its sender', () => {
  it.each([
    [
      'no body: no length, no chunking',
      [
        ['content-length', '10'],
        ['transfer-encoding', 'chunked'],
      ],
      undefined,
      {},
    ],
    [
      'a complete body: its own length, not the declared one',
      [['content-length', '0']],
      early(5, true),
      { 'content-length': '5' },
    ],
    [
      'a streamed body with a declared length: kept (strictContentLength holds it)',
      [['Content-Length', '70000']],
      early(65536, false),
      { 'content-length': '70000' },
    ],
    [
      'a streamed body without a length: chunked, whatever the method',
      [],
      early(65536, false),
      { 'transfer-encoding': 'chunked' },
    ],
    [
      'a streamed body with a bad length: chunked',
      [['content-length', '1, 2']],
      early(65536, false),
      { 'transfer-encoding': 'chunked' },
    ],
    [
      'a length declared twice is not trusted: chunked',
      [
        ['content-length', '70000'],
        ['Content-Length', '70000'],
      ],
      early(65536, false),
      { 'transfer-encoding': 'chunked' },
    ],
    [
      "a sender's transfer-encoding never passes",
      [
        ['transfer-encoding', 'gzip, chunked'],
        ['x-a', '1'],
      ],
      early(3, true),
      { 'content-length': '3', 'x-a': '1' },
    ],
  ] as const)('%s', (_name, list, body, expected) => {
    expect(
      framedHeaders(
        list.map(([k, v]) => [k, v] as [string, string]),
        body,
      ),
    ).toEqual(expected);
  });
});
