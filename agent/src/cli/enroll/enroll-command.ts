import { access } from 'node:fs/promises';
import path from 'node:path';
import {
  EnrollResponseSchema,
  formatGrantToken,
  parseFingerprint,
  parseGrantToken,
  PROTOCOL_VERSION,
  TetherError,
  ValidationError,
  type AdvertiseStrategy,
  type EnrollRequest,
} from '@tether/shared';
import { ConfigError } from '../../errors.js';
import {
  CREDENTIAL_FILE,
  failoverList,
  writeCredential,
  type Credential,
} from '../../credentials/credential-file.js';
import type { Env } from '../../config/config-sources.js';
import type { AgentLogger } from '../../observability/logger.js';
import { describeCertificateError } from '../../link/tls/tls-plan.js';
import { loadTlsPlan } from '../../link/tls/load-tls-plan.js';
import { postJson } from './post-json.js';

/** The `enroll` command's flags. */
export interface EnrollFlags {
  controlPlane?: string;
  grant?: string;
  stateDir?: string;
  id?: string;
  caFile?: string;
  fingerprint?: string;
  insecure?: boolean;
}

/** What `enroll` prints: never the secret. */
export interface EnrollResult {
  id: string;
  stateDir: string;
  controlPlane: string;
  /** The strategy the control plane fixed (the agent runs with it), if any. */
  strategy?: AdvertiseStrategy;
}

/** The control plane refused or failed the enrollment; the message says why. */
export class EnrollmentError extends TetherError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('enrollment_failed', message, options);
  }
}

/** The path of the redemption endpoint on the control plane's HTTP(S) API. */
export const ENROLL_PATH = '/api/v1/enroll';

function apiUrl(text: string | undefined): URL {
  if (!text)
    throw new ConfigError(
      'missing --control-plane: the control plane API, e.g. https://cp.example:8080 (grants made by a control plane that has run carry it)',
    );
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`invalid --control-plane "${text}": expected e.g. https://cp.example:8080`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ConfigError(
      `--control-plane for enroll is the HTTP(S) API (https://host:port), not "${url.protocol}//"`,
    );
  return new URL(ENROLL_PATH, url);
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/**
 * Redeems a grant over the control plane's API and writes the credential (id, secret, MQTT URL, site, labels, the
 * fixed strategy, the server pin or CA) to the state dir, mode 0600, atomically. The HTTPS request is verified like MQTT (pin from
 * --fingerprint or the grant, --ca-file, else the system CAs). A state dir that holds a credential is refused
 * before the grant is spent.
 */
export async function enroll(
  flags: EnrollFlags,
  env: Env,
  logger: Pick<AgentLogger, 'warn' | 'info'>,
  cwd = process.cwd(),
  timeoutMs = 15_000,
): Promise<EnrollResult> {
  const grantText = flags.grant ?? env.TETHER_GRANT;
  if (!grantText)
    throw new ConfigError('missing --grant (or TETHER_GRANT): the token "tether-cp grant create" printed');
  let grant;
  try {
    grant = parseGrantToken(grantText);
  } catch (err) {
    throw new ConfigError((err as ValidationError).message);
  }
  // A `tg2` grant carries the control plane's API; --control-plane, when given, wins.
  const url = apiUrl(flags.controlPlane ?? grant.url);
  const fingerprint = flags.fingerprint ?? grant.fingerprint;
  if (flags.fingerprint && grant.fingerprint && parseFingerprint(flags.fingerprint) !== grant.fingerprint)
    throw new ConfigError('--fingerprint differs from the pin the grant carries');
  if (grant.fingerprint && url.protocol !== 'https:')
    throw new ConfigError('this grant is for a control plane with TLS: use its https:// URL');
  const plan = await loadTlsPlan(
    { caFile: flags.caFile, fingerprint, insecure: flags.insecure ?? false },
    url.toString(),
    logger,
  );

  const givenDir = flags.stateDir ?? env.TETHER_STATE_DIR;
  const dirFor = (id: string): string => path.resolve(cwd, givenDir ?? path.join('.tether', id));
  const wanted = flags.id ?? env.TETHER_ID;
  if (givenDir || wanted) {
    const dir = dirFor(wanted ?? '');
    if (await exists(path.join(dir, CREDENTIAL_FILE)))
      throw new ConfigError(`${path.join(dir, CREDENTIAL_FILE)} exists: this state dir is enrolled already`);
  }

  // The grant as every control plane reads it (`tg1`: the URL is the agent's business).
  const redeemed = formatGrantToken({ ...grant, url: undefined });
  const request: EnrollRequest = { v: PROTOCOL_VERSION, grant: redeemed, ...(wanted ? { id: wanted } : {}) };
  let answer;
  try {
    answer = await postJson(url, request, plan, timeoutMs);
  } catch (err) {
    const certificate = describeCertificateError(err as Error);
    throw new EnrollmentError(certificate ?? `cannot reach ${url.origin}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (answer.status !== 201) {
    const error = (answer.body as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new EnrollmentError(
      `enrollment refused (${answer.status}${error?.code ? ` ${error.code}` : ''}): ${error?.message ?? 'no reason given'}`,
    );
  }
  const parsed = EnrollResponseSchema.safeParse(answer.body);
  if (!parsed.success)
    throw new EnrollmentError('the control plane answered with something that is not a credential');
  const enrolled = parsed.data;
  const stateDir = dirFor(enrolled.id);
  const controlPlane = enrolled.controlPlane[0]!;
  const controlPlanes = failoverList(enrolled.controlPlane);
  const credential: Credential = {
    v: 1,
    id: enrolled.id,
    secret: enrolled.secret,
    controlPlane,
    ...(controlPlanes ? { controlPlanes } : {}),
    ...(enrolled.site === undefined ? {} : { site: enrolled.site }),
    labels: enrolled.labels,
    ...(enrolled.strategy === undefined ? {} : { strategy: enrolled.strategy }),
    ...(enrolled.upgradeKey === undefined ? {} : { upgradeKey: enrolled.upgradeKey }),
    ...(plan.mode === 'system' || plan.mode === 'insecure'
      ? {}
      : {
          tls: {
            ...(fingerprint ? { fingerprint } : {}),
            ...(plan.options.ca ? { ca: plan.options.ca } : {}),
          },
        }),
  };
  await writeCredential(stateDir, credential);
  const fixed = enrolled.strategy === undefined ? {} : { strategy: enrolled.strategy };
  logger.info({ id: enrolled.id, stateDir, controlPlane, ...fixed }, 'enrolled');
  return { id: enrolled.id, stateDir, controlPlane, ...fixed };
}
