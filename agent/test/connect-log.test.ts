import { describe, expect, it } from 'vitest';
import { logConnected, logConnectError } from '../src/link/connect-log.js';
import type { TransportLogger } from '../src/link/mqtt-transport-types.js';

function recorder(): { log: TransportLogger; lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (_obj: object, msg: string) => lines.push(`${level} ${msg}`);
  return { log: { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') }, lines };
}

describe('logConnectError', () => {
  it.each([
    [4, 'unauthorized', /^error control plane refused the credentials of agent edge-a/],
    [5, 'unauthorized', /^error control plane refused the credentials of agent edge-a/],
    [3, 'busy', /^info control plane busy/],
    ['ECONNREFUSED', 'other', /^warn control plane connection error/],
  ])('code %s is %s', (code, kind, line) => {
    const { log, lines } = recorder();
    expect(logConnectError(log, 'edge-a', Object.assign(new Error('refused'), { code }))).toBe(kind);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
  });
});

describe('logConnected', () => {
  it('says connected the first time, then how long the link was down, to the tenth of a second', () => {
    const { log, lines } = recorder();
    logConnected(log, { url: 'mqtt://h', first: true, lostAt: null, now: 5_000, reconnects: 0 });
    logConnected(log, { url: 'mqtt://h', first: false, lostAt: 1_000, now: 3_460, reconnects: 2 });
    logConnected(log, { url: 'mqtt://h', first: false, lostAt: null, now: 3_460, reconnects: 3 });
    expect(lines).toEqual([
      'info connected to the control plane',
      'info reconnected to the control plane after 2.5 s',
      'info reconnected to the control plane after ? s',
    ]);
  });
});
