import { z } from 'zod';
import { ValidationError } from './errors.js';
import { AgentIdSchema, LabelsSchema, SiteSchema } from './ids.js';
import { PROTOCOL_VERSION } from './messages.js';
import { AdvertiseStrategySchema } from './strategy.js';

/** The version prefix of enrollment grant tokens. */
export const GRANT_TOKEN_PREFIX = 'tg1';
/** The prefix of a grant that also carries the control plane's enrollment URL (`tether-agent join`). */
export const JOIN_GRANT_PREFIX = 'tg2';

const B64URL = /^[A-Za-z0-9_-]+$/;
const HEX64 = /^[0-9a-f]{64}$/;

/** A parsed enrollment grant token: which grant, its secret, and the server certificate pin it carries, if any. */
export interface GrantToken {
  grantId: string;
  secret: string;
  /** `sha256:<64 hex>` of the control plane's TLS certificate, when it had TLS at grant time. */
  fingerprint?: string;
  /** The control plane's HTTP(S) API, where the grant is redeemed (`tg2` grants carry it). */
  url?: string;
}

/**
 * Formats a grant token: `tg1.<grantId>.<secret>[.<sha256 hex>]`, or with the enrollment URL
 * `tg2.<base64url(url)>.<grantId>.<secret>[.<sha256 hex>]`. Ids and secrets are base64url (no `.`); the optional
 * last part is the server certificate's SHA-256 fingerprint in lowercase hex, without colons.
 */
export function formatGrantToken(token: GrantToken): string {
  const parts = token.url
    ? [JOIN_GRANT_PREFIX, Buffer.from(enrollmentUrl(token.url)).toString('base64url')]
    : [GRANT_TOKEN_PREFIX];
  parts.push(token.grantId, token.secret);
  if (token.fingerprint) parts.push(parseFingerprint(token.fingerprint).slice('sha256:'.length));
  return parts.join('.');
}

/** Parses a grant token (`tg1` or `tg2`); a ValidationError (which never echoes the token) when it is not one. */
export function parseGrantToken(text: string): GrantToken {
  const invalid = new ValidationError(
    `invalid grant: expected ${JOIN_GRANT_PREFIX}.<url>.<id>.<secret>[.<sha256 fingerprint>] (or ${GRANT_TOKEN_PREFIX}. without the url) as printed by "tether-cp grant create"`,
  );
  if (typeof text !== 'string' || text.length > 1024) throw invalid;
  const parts = text.trim().split('.');
  let url: string | undefined;
  if (parts[0] === JOIN_GRANT_PREFIX) {
    const encoded = parts.splice(1, 1)[0] ?? '';
    if (!B64URL.test(encoded) || encoded.length > 512) throw invalid;
    try {
      url = enrollmentUrl(Buffer.from(encoded, 'base64url').toString('utf8'));
    } catch {
      throw invalid;
    }
    parts[0] = GRANT_TOKEN_PREFIX;
  }
  if (parts.length < 3 || parts.length > 4 || parts[0] !== GRANT_TOKEN_PREFIX) throw invalid;
  const [, grantId, secret, fp] = parts as [string, string, string, string | undefined];
  if (!B64URL.test(grantId) || grantId.length > 64 || !B64URL.test(secret) || secret.length < 16)
    throw invalid;
  if (fp !== undefined && !HEX64.test(fp)) throw invalid;
  return {
    grantId,
    secret,
    ...(fp === undefined ? {} : { fingerprint: `sha256:${fp}` }),
    ...(url === undefined ? {} : { url }),
  };
}

/** The origin of an HTTP(S) URL (`https://cp.example:8080`); a ValidationError for anything else. */
export function enrollmentUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ValidationError(`invalid enrollment URL "${text.slice(0, 200)}": expected https://HOST:PORT`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ValidationError(`invalid enrollment URL "${url.protocol}//": expected https://HOST:PORT`);
  return url.origin;
}

/** The command that enrolls a device with a grant and runs the agent. */
export function joinCommandLine(grant: string): string {
  return `tether-agent join ${grant}`;
}

/**
 * Normalizes a SHA-256 certificate fingerprint to `sha256:<64 lowercase hex>`. Accepts `sha256:HEX`, bare HEX and
 * the colon-separated form Node and openssl print (`AB:CD:...`), in any case. Throws a ValidationError otherwise.
 */
export function parseFingerprint(text: string): string {
  const body = text
    .trim()
    .replace(/^sha256:/i, '')
    .replace(/:/g, '')
    .toLowerCase();
  if (!HEX64.test(body))
    throw new ValidationError(
      `invalid certificate fingerprint "${text.slice(0, 120)}": expected sha256:<64 hex digits>`,
    );
  return `sha256:${body}`;
}

/**
 * `POST /api/v1/enroll`: redeem a grant for an agent credential. `id` is the agent id wished for, if any. Strict;
 * the answer is not (a newer control plane may add keys: messages.ts, "Strictness").
 */
export const EnrollRequestSchema = z.strictObject({
  v: z.literal(PROTOCOL_VERSION),
  grant: z.string().min(1).max(512),
  id: AgentIdSchema.optional(),
});

/**
 * The answer to a redeemed grant: the agent's id and secret (shown once), the MQTT URLs the control plane
 * advertises (best first), the site and labels the grant gave the agent, and the strategy it fixed (older control
 * planes never send it; older agents ignore it).
 */
export const EnrollResponseSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  id: AgentIdSchema,
  secret: z.string().min(16).max(256),
  controlPlane: z.array(z.string().min(1).max(2048)).min(1).max(8),
  site: SiteSchema.optional(),
  labels: LabelsSchema,
  /** The strategy the hub holds this agent to, whatever it declares: the agent runs with it. */
  strategy: AdvertiseStrategySchema.optional(),
  /** The control plane's Ed25519 public key (PEM) that signs agent builds (older control planes omit it). */
  upgradeKey: z.string().max(1024).optional(),
});

export type EnrollRequest = z.infer<typeof EnrollRequestSchema>;
export type EnrollResponse = z.infer<typeof EnrollResponseSchema>;
