import { existsSync, readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { parseFingerprint, ValidationError } from '@tether/shared';

/** Where `tether-cp certs init` writes, and `serve` / `grant create` look, under the data dir. */
export const TLS_DIR = 'tls';
/** File names under `DATA_DIR/tls`. */
export const TLS_FILES = {
  caCert: 'ca.crt',
  caKey: 'ca.key',
  cert: 'server.crt',
  key: 'server.key',
} as const;

/** The certificate and key files the server uses. */
export interface TlsFiles {
  cert: string;
  key: string;
  /** `flags`: --tls-cert/--tls-key (or the config file); `data-dir`: found under DATA_DIR/tls. */
  source: 'flags' | 'data-dir';
}

/** A loaded server certificate and key (PEM) with the certificate's SHA-256 fingerprint. */
export interface ServerTls {
  cert: Buffer;
  key: Buffer;
  /** `sha256:<64 hex>` of the leaf certificate: what agents pin. */
  fingerprint: string;
}

/**
 * Which certificate files to serve: explicit ones (both or neither), else `DATA_DIR/tls/server.{crt,key}` when
 * both exist, else none (plain listeners).
 */
export function resolveTlsFiles(dataDir: string, cert?: string, key?: string): TlsFiles | undefined {
  if (cert || key) {
    if (!cert || !key) throw new ValidationError('--tls-cert and --tls-key go together');
    return { cert, key, source: 'flags' };
  }
  const found = { cert: join(dataDir, TLS_DIR, TLS_FILES.cert), key: join(dataDir, TLS_DIR, TLS_FILES.key) };
  return existsSync(found.cert) && existsSync(found.key) ? { ...found, source: 'data-dir' } : undefined;
}

/** The SHA-256 fingerprint (`sha256:<hex>`) of the first certificate in a PEM text. */
export function certificateFingerprint(pem: string | Buffer): string {
  return parseFingerprint(new X509Certificate(pem).fingerprint256);
}

function read(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ValidationError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
}

function fingerprintOf(file: string, pem: Buffer): string {
  try {
    return certificateFingerprint(pem);
  } catch (err) {
    throw new ValidationError(`${file} is not a PEM certificate: ${(err as Error).message}`, { cause: err });
  }
}

/** Reads the certificate and key; a ValidationError names the file that cannot be used. */
export function loadServerTls(files: TlsFiles): ServerTls {
  const cert = read(files.cert);
  return { cert, key: read(files.key), fingerprint: fingerprintOf(files.cert, cert) };
}

/**
 * The fingerprint grants carry: of `certFile` if given, else of the certificate `serve` picks up from
 * DATA_DIR/tls; undefined when the control plane has no TLS.
 */
export function grantFingerprint(dataDir: string, certFile?: string): string | undefined {
  const file = certFile ?? resolveTlsFiles(dataDir)?.cert;
  return file === undefined ? undefined : fingerprintOf(file, read(file));
}
