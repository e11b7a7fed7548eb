// `reflect-metadata` must load before @peculiar/x509 (its tsyringe container needs the Reflect polyfill). This
// module is imported lazily by `tether-cp certs init` only, so the serving process never carries either.
import 'reflect-metadata';
import { webcrypto, type webcrypto as WebCrypto } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { ConflictError } from '@tether/shared';
import { certificateFingerprint, TLS_DIR, TLS_FILES } from './server-tls.js';

/** ECDSA P-256 with SHA-256: the cheapest handshake Node offers (a reconnect storm is handshake-bound). */
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

/** Options of `certsInit`. */
export interface CertsInitOptions {
  dataDir: string;
  /** Names and addresses the server certificate is valid for, besides localhost, 127.0.0.1, ::1 and this host. */
  hosts?: string[];
  /** Replace existing files. */
  force?: boolean;
  /** Server certificate lifetime in days (default 825); the CA lives 10 years. */
  days?: number;
  now?: Date;
}

/** What `certsInit` wrote. */
export interface CertsInitResult {
  ca: string;
  cert: string;
  key: string;
  fingerprint: string;
  hosts: string[];
}

function serial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = bytes[0]! & 0x7f; // positive
  return Buffer.from(bytes).toString('hex');
}

async function pkcs8Pem(key: WebCrypto.CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

function writeSecret(file: string, text: string): void {
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/**
 * Creates a private CA and a server certificate signed by it (ECDSA P-256) under `DATA_DIR/tls/`: `ca.crt`,
 * `ca.key`, `server.crt`, `server.key` (keys mode 0600). Refuses to overwrite unless `force`.
 */
export async function certsInit(options: CertsInitOptions): Promise<CertsInitResult> {
  x509.cryptoProvider.set(webcrypto);
  const dir = join(options.dataDir, TLS_DIR);
  const paths = {
    caCert: join(dir, TLS_FILES.caCert),
    caKey: join(dir, TLS_FILES.caKey),
    cert: join(dir, TLS_FILES.cert),
    key: join(dir, TLS_FILES.key),
  };
  const existing = Object.values(paths).filter((p) => existsSync(p));
  if (existing.length && !options.force)
    throw new ConflictError(`${existing.join(', ')} exist already (pass --force to replace them)`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });

  const hosts = [...new Set(['localhost', '127.0.0.1', '::1', hostname(), ...(options.hosts ?? [])])];
  const now = options.now ?? new Date();
  const notBefore = new Date(now.getTime() - 5 * 60_000); // tolerate small clock skew
  const caKeys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=Tether CA ${hostname()}`,
    notBefore,
    notAfter: new Date(now.getTime() + 3650 * DAY),
    signingAlgorithm: ALG,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const serverKeys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const server = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${hosts.find((h) => !isIP(h) && h !== 'localhost') ?? 'localhost'}`,
    issuer: ca.subject,
    notBefore,
    notAfter: new Date(now.getTime() + (options.days ?? 825) * DAY),
    signingAlgorithm: ALG,
    publicKey: serverKeys.publicKey,
    signingKey: caKeys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        hosts.map((h) => (isIP(h) ? { type: 'ip' as const, value: h } : { type: 'dns' as const, value: h })),
      ),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  const serverPem = server.toString('pem');
  writeSecret(paths.caKey, await pkcs8Pem(caKeys.privateKey));
  writeSecret(paths.key, await pkcs8Pem(serverKeys.privateKey));
  writeFileSync(paths.caCert, ca.toString('pem'), { mode: 0o644 });
  writeFileSync(paths.cert, serverPem, { mode: 0o644 });
  return {
    ca: paths.caCert,
    cert: paths.cert,
    key: paths.key,
    fingerprint: certificateFingerprint(serverPem),
    hosts,
  };
}
