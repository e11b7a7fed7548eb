import { readFileSync, statSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConflictError } from '@tether/shared';
import { certsInit } from '../src/tls/certs-init.js';
import { grantFingerprint, resolveTlsFiles } from '../src/tls/server-tls.js';
import { tempDir } from './helpers.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe('certs init', () => {
  it('writes a CA and a server certificate (keys 0600) that a client verifies by CA and host name', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    expect(resolveTlsFiles(dir)).toBeUndefined();
    const result = await certsInit({ dataDir: dir, hosts: ['cp.example', '10.1.2.3'] });
    for (const key of [result.key, `${dir}/tls/ca.key`]) expect(statSync(key).mode & 0o777).toBe(0o600);
    const cert = new X509Certificate(readFileSync(result.cert));
    expect(cert.checkIssued(new X509Certificate(readFileSync(result.ca)))).toBe(true);
    expect(cert.subjectAltName).toContain('DNS:cp.example');
    expect(cert.subjectAltName).toContain('IP Address:10.1.2.3');
    expect(result.fingerprint).toBe(`sha256:${cert.fingerprint256.replace(/:/g, '').toLowerCase()}`);
    expect(resolveTlsFiles(dir)).toMatchObject({ source: 'data-dir' });
    expect(grantFingerprint(dir)).toBe(result.fingerprint);

    const server = createServer({ cert: readFileSync(result.cert), key: readFileSync(result.key) }, (s) =>
      s.end(),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    const handshake = async (servername: string): Promise<string | undefined> => {
      const socket: TLSSocket = connect({ port, host: '127.0.0.1', servername, ca: readFileSync(result.ca) });
      try {
        await Promise.race([
          once(socket, 'secureConnect'),
          once(socket, 'error').then(([e]) => Promise.reject(e as Error)),
        ]);
        return undefined;
      } catch (err) {
        return (err as { code?: string }).code;
      } finally {
        socket.destroy();
      }
    };
    expect(await handshake('cp.example')).toBeUndefined();
    expect(await handshake('other.example')).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    server.close();

    await expect(certsInit({ dataDir: dir })).rejects.toThrow(ConflictError);
    const again = await certsInit({ dataDir: dir, force: true });
    expect(again.fingerprint).not.toBe(result.fingerprint);
  });
});
