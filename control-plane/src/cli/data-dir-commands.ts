import { enrollmentUrl, NotFoundError, parseKeyValues, ValidationError } from '@tether/shared';
import { recordedApiUrl } from './api-url-file.js';
import { createApiToken, deleteApiToken } from '../auth/api-tokens.js';

import { TokenStore } from '../auth/token-store.js';

import { createGrant, parseGrantRequest } from '../agents/registration/grants.js';
import { revokeGrant } from '../agents/registration/grant-admin.js';
import { withDatabase } from './data-dir.js';

import { parseAgentRequest, registerAgent } from '../agents/registration/register-agent.js';
import { markRevoked } from '../agents/revocation/revoke-agent.js';
import { AgentStore } from '../store/agent-store.js';
import { grantFingerprint } from '../tls/server-tls.js';

/** The audit actor of a CLI command: whoever can read the data dir. */
const CLI_ACTOR = 'cli';

function printLine(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/**
 * `agent add`: registers an agent (its strategy fixed by `--strategy`, if given) and prints its secret once. With
 * `redisUrl` (a cluster member's data dir) the id is claimed in Redis first and the row reaches every replica
 * through the change log.
 */
export async function addAgent(
  id: string,
  flags: { dataDir: string; redisUrl?: string; strategy?: string },
): Promise<void> {
  const request = parseAgentRequest({
    id,
    ...(flags.strategy === undefined ? {} : { strategy: flags.strategy }),
  });
  if (flags.redisUrl) {
    // Redis's client loads only for a cluster.
    const { addAgentInCluster } = await import('../cluster/cluster-agent-add.js');
    return printLine(await addAgentInCluster(flags.dataDir, flags.redisUrl, request));
  }
  withDatabase(flags.dataDir, 'create', (db, audit) =>
    printLine(registerAgent(new AgentStore(db), request, Date.now(), { log: audit, actor: CLI_ACTOR })),
  );
}

/** `agent revoke`: marks the agent revoked (a running server enforces it within its poll). */
export function revokeAgent(id: string, flags: { dataDir: string }): void {
  withDatabase(flags.dataDir, 'existing', (db, audit) => {
    const revoked = markRevoked({ agents: new AgentStore(db), audit }, id, CLI_ACTOR, Date.now());
    printLine({ id, revokedAt: new Date(revoked.revokedAt).toISOString() });
  });
}

/** `token create`: prints a new API token once. */
export function createToken(flags: { dataDir: string; role: string; name?: string }): void {
  withDatabase(flags.dataDir, 'create', (db, audit) => {
    const created = createApiToken(
      { tokens: new TokenStore(db), audit },
      { role: flags.role, ...(flags.name === undefined ? {} : { name: flags.name }) },
      CLI_ACTOR,
      Date.now(),
    );
    printLine({ token: created.token });
  });
}

/** `token delete`: deletes an API token; a running server refuses it within 10 ms (EXTERNAL_CHECK_MS). */
export function deleteToken(id: string, flags: { dataDir: string }): void {
  withDatabase(flags.dataDir, 'existing', (db, audit) => {
    if (!deleteApiToken({ tokens: new TokenStore(db), audit }, id, CLI_ACTOR))
      throw new NotFoundError(`token "${id}" not found`);
    printLine({ id, deleted: true });
  });
}

/** The flags of `tether-cp grant create`. */
export interface GrantFlags {
  dataDir: string;
  ttl?: string;
  site?: string;
  label: string[];
  id?: string;
  strategy?: string;
  tlsCert?: string;
  url?: string;
}

/** `grant create`: works on the data dir whether or not the server runs (SQLite WAL). */
export function grantCreate(flags: GrantFlags): void {
  const request = parseGrantRequest({
    ...(flags.ttl === undefined ? {} : { ttl: flags.ttl }),
    ...(flags.site === undefined ? {} : { site: flags.site }),
    ...(flags.label.length ? { labels: parseKeyValues(flags.label, '--label') } : {}),
    ...(flags.id === undefined ? {} : { id: flags.id }),
    ...(flags.strategy === undefined ? {} : { strategy: flags.strategy }),
  });
  // The pin grants carry: the certificate `serve` would use (--tls-cert, else DATA_DIR/tls/server.crt).
  const fingerprint = grantFingerprint(flags.dataDir, flags.tlsCert);
  // Where the agent redeems it: --url, else the API URL `serve` recorded in the data dir.
  const url = flags.url === undefined ? recordedApiUrl(flags.dataDir) : enrollmentUrl(flags.url);
  if (url === undefined)
    process.stderr.write(
      'tether-cp: the grant carries no URL (serve never ran on this data dir; pass --url https://HOST:PORT): enroll with it by `tether-agent enroll --control-plane URL --grant GRANT`\n',
    );
  withDatabase(flags.dataDir, 'create', (db, audit) =>
    printLine(createGrant(db, request, Date.now(), fingerprint, { log: audit, actor: CLI_ACTOR }, url)),
  );
}

/** `grant revoke`: deletes a grant not redeemed yet (by id or by its token), audited; prints `{"id","revoked"}`. */
export function grantRevoke(idOrToken: string, flags: { dataDir: string }): void {
  withDatabase(flags.dataDir, 'existing', (db, audit) =>
    printLine(revokeGrant(db, idOrToken, { log: audit, actor: CLI_ACTOR })),
  );
}

/** `certs init`: a CA and a server certificate under DATA_DIR/tls (the library loads only for this command). */
export async function certsInitCommand(flags: {
  dataDir: string;
  host: string[];
  force?: boolean;
  days?: string;
}) {
  const { certsInit } = await import('../tls/certs-init.js');
  const days = flags.days === undefined ? undefined : Number(flags.days);
  if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > 3650))
    throw new ValidationError('--days: an integer between 1 and 3650 expected');
  const result = await certsInit({
    dataDir: flags.dataDir,
    hosts: flags.host,
    ...(flags.force ? { force: true } : {}),
    ...(days === undefined ? {} : { days }),
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
