import type BetterSqlite3 from 'better-sqlite3';
import {
  ConflictError,
  GRANT_TOKEN_PREFIX,
  JOIN_GRANT_PREFIX,
  NotFoundError,
  parseGrantToken,
  type AdvertiseStrategy,
  type Labels,
} from '@tether/shared';
import type { GrantAudit } from './grants.js';
import { GrantStore, type GrantRecord } from './grant-store.js';

/** A grant as listed: never its secret nor its hash. `state`: valid (redeemable), used or expired. */
export interface GrantView {
  id: string;
  state: 'valid' | 'used' | 'expired';
  agentId: string | null;
  site: string | null;
  labels: Labels;
  strategy: AdvertiseStrategy | null;
  createdAt: string;
  expiresAt: string;
  usedAt: string | null;
  usedBy: string | null;
}

const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());

/** A grant's listed view at `now`. */
export function grantView(g: GrantRecord, now: number): GrantView {
  return {
    id: g.id,
    state: g.usedAt !== null ? 'used' : g.expiresAt <= now ? 'expired' : 'valid',
    agentId: g.agentId,
    site: g.site,
    labels: g.labels,
    strategy: g.strategy,
    createdAt: new Date(g.createdAt).toISOString(),
    expiresAt: new Date(g.expiresAt).toISOString(),
    usedAt: iso(g.usedAt),
    usedBy: g.usedBy,
  };
}

/** Every grant's view at `now`, oldest first. */
export function listGrants(db: BetterSqlite3.Database, now: number): GrantView[] {
  return new GrantStore(db).list().map((g) => grantView(g, now));
}

/**
 * Revokes a grant not redeemed yet: deletes it with its audit row (`grant-revoked`) in one transaction; a later
 * redemption is refused as an unknown grant. `idOrToken`: the id `grant list` shows, or the whole grant token.
 * A used grant is refused (it enrolls nothing any more; the agent it made is revoked with `agent revoke`).
 */
export function revokeGrant(
  db: BetterSqlite3.Database,
  idOrToken: string,
  audit: GrantAudit,
): { id: string; revoked: true } {
  const isToken = [GRANT_TOKEN_PREFIX, JOIN_GRANT_PREFIX].some((prefix) =>
    idOrToken.startsWith(`${prefix}.`),
  );
  const id = isToken ? parseGrantToken(idOrToken).grantId : idOrToken;
  const grants = new GrantStore(db);
  db.transaction(() => {
    const grant = grants.get(id);
    if (!grant) throw new NotFoundError(`grant "${id}" not found: \`tether-cp grant list\` shows the grants`);
    if (grant.usedAt !== null)
      throw new ConflictError(
        `grant "${id}" was redeemed by agent "${grant.usedBy ?? '?'}" and enrolls nothing any more; ` +
          `to cut that agent off run \`tether-cp agent revoke ${grant.usedBy ?? 'ID'}\``,
      );
    grants.delete(id);
    audit.log.record({
      kind: 'grant-revoked',
      agentId: grant.agentId ?? undefined,
      actor: audit.actor,
      detail: { grantId: id },
    });
  }).immediate();
  return { id, revoked: true };
}
