import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { closeSync, linkSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { upgradeSignedText } from '@tether/shared';

/** The control plane's build-signing key in its data dir (PKCS#8 PEM, mode 0600). */
export const UPGRADE_KEY_FILE = 'upgrade-key.pem';

/** The key that signs agent builds: its private half, and the public PEM handed to agents at enrollment. */
export interface UpgradeKey {
  privateKey: KeyObject;
  publicKeyPem: string;
}

/**
 * The data dir's Ed25519 signing key, made on first use. Written to a temporary file and linked into place, so
 * two processes starting together (serve and a CLI command) end with one key.
 */
export function loadUpgradeKey(dataDir: string): UpgradeKey {
  const file = join(dataDir, UPGRADE_KEY_FILE);
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch {
    const { privateKey } = generateKeyPairSync('ed25519');
    const tmp = `${file}.tmp-${process.pid}`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(tmp, file);
    } catch {
      // Another process made it first: theirs is the key.
    }
    rmSync(tmp, { force: true });
    pem = readFileSync(file, 'utf8');
  }
  const privateKey = createPrivateKey(pem);
  const publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  return { privateKey, publicKeyPem };
}

/** The base64 Ed25519 signature of a build's sha256 and size (what the agent verifies). */
export function signBuild(key: UpgradeKey, sha256: string, size: number): string {
  return sign(null, Buffer.from(upgradeSignedText(sha256, size)), key.privateKey).toString('base64');
}
