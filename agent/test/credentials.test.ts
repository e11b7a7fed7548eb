import { stat } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConfigError,
  CREDENTIAL_FILE,
  CredentialKeeper,
  failoverList,
  loadConfig,
  readCredential,
  resolveConfig,
  rotatedCredential,
  secretDigest,
  writeCredential,
  type Credential,
} from '@tether/agent';
import { decode, CredentialMessageSchema } from '@tether/shared';
import { quietLogger, tempDir } from './helpers.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});
async function dir(): Promise<string> {
  const t = await tempDir();
  cleanups.push(t.remove);
  return t.dir;
}

const credential: Credential = {
  v: 1,
  id: 'edge-9',
  secret: 'secret-one-0123456789',
  controlPlane: 'mqtts://cp:8883',
  site: 'berlin',
  labels: { tier: 'gold' },
  tls: { fingerprint: `sha256:${'ab'.repeat(32)}` },
};

describe('run from a credential', () => {
  it('needs nothing else; flags and env still override field by field', () => {
    const plain = resolveConfig({ flags: {}, env: {}, credential, cwd: '/srv' });
    expect(plain).toMatchObject({
      id: 'edge-9',
      secret: 'secret-one-0123456789',
      controlPlane: 'mqtts://cp:8883',
      site: 'berlin',
      labels: { tier: 'gold' },
      tls: { fingerprint: credential.tls!.fingerprint, insecure: false },
    });
    const overridden = resolveConfig({
      flags: { site: 'paris', label: ['zone=a'], controlPlane: 'wss://other:443/mqtt', caFile: '/ca.pem' },
      env: { TETHER_SECRET: 'explicit-secret' },
      credential,
      cwd: '/srv',
    });
    expect(overridden).toMatchObject({
      secret: 'explicit-secret',
      controlPlane: 'wss://other/mqtt',
      site: 'paris',
      labels: { tier: 'gold', zone: 'a' },
      tls: { caFile: '/ca.pem', insecure: false },
    });
    expect(overridden.tls.fingerprint).toBeUndefined();
  });

  it('the enrollment credential’s control-plane list is the failover list, unless URLs are given', () => {
    const listed: Credential = {
      ...credential,
      controlPlane: 'mqtts://cp-1:8883',
      controlPlanes: ['mqtts://cp-1:8883', 'mqtts://cp-2:8883', 'wss://cp-2:8443/mqtt'],
    };
    expect(resolveConfig({ flags: {}, env: {}, credential: listed })).toMatchObject({
      controlPlane: 'mqtts://cp-1:8883',
      controlPlanes: ['mqtts://cp-1:8883', 'mqtts://cp-2:8883', 'wss://cp-2:8443/mqtt'],
    });
    const explicit = resolveConfig({
      flags: {},
      env: { TETHER_CONTROL_PLANE: 'mqtt://other:1883' },
      credential: listed,
    });
    expect(explicit.controlPlane).toBe('mqtt://other:1883');
    expect(explicit.controlPlanes).toBeUndefined();
    // An older credential (one URL, no list) still runs on that URL alone.
    const single = resolveConfig({ flags: {}, env: {}, credential });
    expect(single.controlPlanes).toBeUndefined();
  });

  it('an enrollment keeps the URLs of the first one’s scheme as the failover list', () => {
    expect(failoverList(['mqtt://cp-1:1883', 'ws://cp-1:8080/mqtt'])).toBeUndefined();
    expect(failoverList(['mqtts://a:8883', 'wss://a/mqtt', 'mqtts://b:8883'])).toEqual([
      'mqtts://a:8883',
      'mqtts://b:8883',
    ]);
    expect(failoverList([])).toBeUndefined();
  });

  it('a secret a rotation replaced gives way to the credential’s', () => {
    const rotated = rotatedCredential(credential, 'secret-two-0123456789');
    expect(rotated.supersedes).toEqual([secretDigest('secret-one-0123456789')]);
    const config = resolveConfig({
      flags: {},
      env: { TETHER_ID: 'edge-9', TETHER_SECRET: 'secret-one-0123456789' },
      credential: rotated,
    });
    expect(config.secret).toBe('secret-two-0123456789');
  });

  it('refuses a credential of another agent', () => {
    expect(() => resolveConfig({ flags: { id: 'edge-1' }, env: {}, credential })).toThrow(
      /credential of agent "edge-9"/,
    );
  });

  it('loadConfig finds the credential in --state-dir, or in ./.tether/<id>', async () => {
    const root = await dir();
    await writeCredential(path.join(root, 'state'), credential);
    expect((await loadConfig({ stateDir: 'state' }, {}, root)).id).toBe('edge-9');
    await writeCredential(
      path.join(root, '.tether', 'edge-9'),
      rotatedCredential(credential, 'new-secret-0123456789'),
    );
    const config = await loadConfig({ id: 'edge-9', secret: 'secret-one-0123456789' }, {}, root);
    expect(config.secret).toBe('new-secret-0123456789');
  });

  it('a broken credential file is a ConfigError naming it', async () => {
    const root = await dir();
    await writeCredential(root, credential);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path.join(root, CREDENTIAL_FILE), '{"v":1}');
    await expect(readCredential(root)).rejects.toThrow(ConfigError);
  });

  it('a misspelt key is refused with its path, never ignored (a dropped pin would trust the system CAs)', async () => {
    const root = await dir();
    const { writeFile } = await import('node:fs/promises');
    const file = { ...credential, tls: { fingerprnt: `sha256:${'a'.repeat(64)}` } };
    await writeFile(path.join(root, CREDENTIAL_FILE), JSON.stringify(file));
    await expect(readCredential(root)).rejects.toThrow(ConfigError);
    await expect(readCredential(root)).rejects.toThrow('tls: unrecognized key "fingerprnt"');
  });
});

describe('CredentialKeeper', () => {
  it('stores a rotated secret atomically (0600), switches the password, then acknowledges', async () => {
    const stateDir = await dir();
    const published: Array<{ topic: string; payload: string }> = [];
    const passwords: string[] = [];
    const keeper = new CredentialKeeper({
      stateDir,
      credential,
      logger: quietLogger,
      link: {
        setPassword: (p) => passwords.push(p),
        publish: async (topic, payload) => void published.push({ topic, payload }),
      },
    });
    const message = {
      v: 1 as const,
      type: 'credential-rotate' as const,
      rotation: 'r1',
      secret: 'rotated-0123456789',
    };
    await keeper.rotate(message);
    const stored = await readCredential(stateDir);
    expect(stored).toMatchObject({ id: 'edge-9', secret: 'rotated-0123456789', site: 'berlin' });
    expect(stored!.supersedes).toEqual([secretDigest(credential.secret)]);
    expect((await stat(path.join(stateDir, CREDENTIAL_FILE))).mode & 0o777).toBe(0o600);
    expect(passwords).toEqual(['rotated-0123456789']);
    expect(published).toHaveLength(1);
    expect(published[0]!.topic).toBe('tether/v1/agents/edge-9/credentials');
    expect(decode(CredentialMessageSchema, published[0]!.payload)).toEqual({
      ok: true,
      message: { v: 1, type: 'credential-ack', rotation: 'r1' },
    });
    // The same rotation again (re-sent after a reconnect): only acknowledged again.
    await keeper.rotate(message);
    expect(passwords).toHaveLength(1);
    expect(published).toHaveLength(2);
    expect((await readCredential(stateDir))!.supersedes).toHaveLength(1);
  });

  it('does not acknowledge what it could not store', async () => {
    const file = path.join(await dir(), 'not-a-dir');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(file, 'x');
    const published: string[] = [];
    const keeper = new CredentialKeeper({
      stateDir: file,
      credential,
      logger: quietLogger,
      link: { setPassword: () => {}, publish: async (_t, p) => void published.push(p) },
    });
    await keeper.rotate({ v: 1, type: 'credential-rotate', rotation: 'r2', secret: 'rotated-0123456789' });
    expect(published).toEqual([]);
    expect(keeper.credential.secret).toBe(credential.secret);
  });
});
