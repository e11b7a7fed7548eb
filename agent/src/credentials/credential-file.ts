import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import {
  AdvertiseStrategySchema,
  AgentIdSchema,
  formatZodError,
  LabelsSchema,
  SiteSchema,
} from '@tether/shared';
import { ensureStateDir, writeFileAtomic } from '../state/atomic-write.js';
import { ConfigError } from '../errors.js';

/** The agent's credential in its state dir (mode 0600). */
export const CREDENTIAL_FILE = 'credential.json';

/**
 * What `tether-agent enroll` (and each credential rotation) writes: the agent's id and secret, the control
 * plane(s) to dial, the site, labels and fixed strategy the grant gave it, how to verify the server, and digests of the secrets this one
 * replaced (so a stale `--secret`/TETHER_SECRET is recognised as such). Strict: a misspelt key (say `fingerprnt`
 * under `tls`, which would drop the pin) is refused with its path, never ignored.
 */
export const CredentialSchema = z.strictObject({
  v: z.literal(1),
  id: AgentIdSchema,
  secret: z.string().min(1).max(256),
  controlPlane: z.string().min(1).max(2048).optional(),
  /** Every control-plane URL the enrollment answer listed (the failover list; `controlPlane` is the first). */
  controlPlanes: z.array(z.string().min(1).max(2048)).min(1).max(16).optional(),
  site: SiteSchema.optional(),
  labels: LabelsSchema.optional(),
  /** The strategy the control plane fixed at enrollment (the grant's `--strategy`): the agent runs with it. */
  strategy: AdvertiseStrategySchema.optional(),
  tls: z
    .strictObject({
      fingerprint: z.string().max(200).optional(),
      ca: z
        .string()
        .max(256 * 1024)
        .optional(),
    })
    .optional(),
  /** The control plane's Ed25519 public key (PEM) that signs agent builds: the agent takes no upgrade without it. */
  upgradeKey: z.string().max(1024).optional(),
  supersedes: z
    .array(z.string().regex(/^[0-9a-f]{64}$/))
    .max(16)
    .optional(),
});
/** A stored agent credential. */
export type Credential = z.infer<typeof CredentialSchema>;

/** sha256 hex of a secret: how a credential remembers the secrets it replaced. */
export function secretDigest(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** The credential in `stateDir`, or undefined when there is none; a ConfigError when it is unreadable. */
export async function readCredential(stateDir: string): Promise<Credential | undefined> {
  const file = path.join(stateDir, CREDENTIAL_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError(`${file} is not JSON`);
  }
  const parsed = CredentialSchema.safeParse(json);
  if (!parsed.success) throw new ConfigError(`${file} is not a credential: ${formatZodError(parsed.error)}`);
  return parsed.data;
}

/** Writes the credential atomically (temporary file, fsync, rename) with mode 0600 in a 0700 state dir. */
export async function writeCredential(stateDir: string, credential: Credential): Promise<void> {
  await ensureStateDir(stateDir);
  await writeFileAtomic(path.join(stateDir, CREDENTIAL_FILE), `${JSON.stringify(credential, null, 2)}\n`);
}

/** The credential after a rotation to `secret`: the old secret's digest joins `supersedes` (newest first). */
export function rotatedCredential(current: Credential, secret: string): Credential {
  const supersedes = [secretDigest(current.secret), ...(current.supersedes ?? [])].slice(0, 16);
  return { ...current, secret, supersedes };
}

/**
 * The failover list a credential keeps from the URLs an enrollment answer listed: those of the first URL's scheme
 * (an agent dials one scheme; a replica's other listener is not a second control plane), at most 16; undefined
 * when that leaves one.
 */
export function failoverList(urls: readonly string[]): string[] | undefined {
  const scheme = (url: string): string => url.slice(0, url.indexOf(':') + 1);
  const first = urls[0];
  if (first === undefined) return undefined;
  const list = urls.filter((u) => scheme(u) === scheme(first)).slice(0, 16);
  return list.length > 1 ? list : undefined;
}
