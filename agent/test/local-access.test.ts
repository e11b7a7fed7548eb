import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  authorizeLocal,
  hostName,
  screenLocalRequest,
  type LocalAccessPolicy,
} from '../src/api/local-access.js';

const policy: LocalAccessPolicy = {
  bindHost: '127.0.0.1',
  allowedHosts: ['device.lan'],
  allowedOrigins: ['http://localhost:3000'],
};

describe('the local API screen', () => {
  it.each([
    [{ host: '127.0.0.1:7070' }, true],
    [{ host: 'localhost' }, true],
    [{ host: 'LOCALHOST:7070' }, true],
    [{ host: '127.9.8.7' }, true],
    [{ host: '[::1]:7070' }, true],
    [{ host: 'device.lan:7070' }, true],
    [{ host: 'evil.example' }, false],
    [{ host: 'localhost.evil.example' }, false],
    [{ host: '127.0.0.1.nip.io' }, false],
    [{}, false],
    [{ host: '127.0.0.1', origin: 'http://localhost:3000' }, true],
    [{ host: '127.0.0.1', origin: 'http://localhost:3001' }, false],
    [{ host: '127.0.0.1', origin: 'null' }, false],
    [{ host: '127.0.0.1', 'sec-fetch-site': 'cross-site' }, false],
    [{ host: '127.0.0.1', 'sec-fetch-site': 'same-site' }, false],
    [{ host: '127.0.0.1', 'sec-fetch-site': 'none' }, true],
    [{ host: '127.0.0.1', 'sec-fetch-site': 'same-origin' }, false],
    [{ host: '127.0.0.1', 'sec-fetch-site': 'cross-site', origin: 'http://localhost:3000' }, true],
  ])('%j passes: %s', (headers, passes) => {
    expect(screenLocalRequest(headers, policy) === undefined).toBe(passes);
  });

  it('answers to the bind address, but never to a wildcard one', () => {
    expect(
      screenLocalRequest({ host: '10.0.0.5:7070' }, { ...policy, bindHost: '10.0.0.5' }),
    ).toBeUndefined();
    expect(screenLocalRequest({ host: '10.0.0.5:7070' }, { ...policy, bindHost: '0.0.0.0' })).toBeDefined();
  });

  it('property: any Origin that is not allowed is refused, whatever the other headers', () => {
    fc.assert(
      fc.property(
        fc.webUrl().map((u) => new URL(u).origin),
        fc.constantFrom('none', 'same-origin', undefined),
        (origin, site) => {
          fc.pre(origin !== 'http://localhost:3000');
          const headers = { host: 'localhost', origin, ...(site ? { 'sec-fetch-site': site } : {}) };
          expect(screenLocalRequest(headers, policy)?.code).toBe('forbidden');
        },
      ),
    );
  });

  it('reads host names with ports and IPv6 brackets', () => {
    expect(hostName('[::1]:7070')).toBe('::1');
    expect(hostName('Example.COM:80')).toBe('example.com');
    expect(hostName('::1')).toBe('::1');
  });
});

describe('the local API token', () => {
  it('is asked of local routes only when one is set, and compared exactly', () => {
    expect(authorizeLocal({}, 'local', undefined)).toBeUndefined();
    expect(authorizeLocal({}, 'public', 'secret-token-123456')).toBeUndefined();
    expect(authorizeLocal({}, 'local', 'secret-token-123456')?.code).toBe('unauthorized');
    expect(
      authorizeLocal({ authorization: 'Bearer secret-token-12345' }, 'local', 'secret-token-123456'),
    ).toBeDefined();
    expect(
      authorizeLocal({ authorization: 'bearer secret-token-123456' }, 'local', 'secret-token-123456'),
    ).toBeUndefined();
  });
});
