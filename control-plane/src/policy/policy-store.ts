import type BetterSqlite3 from 'better-sqlite3';
import { ReadCache } from '../db/read-cache.js';
import { ServicePolicySchema, type ServicePolicy } from '@tether/shared';

/** Where a policy was set. */
export type PolicySource = 'config' | 'api';

/** A stored policy and where it came from. */
export interface PolicyRecord {
  service: string;
  policy: ServicePolicy;
  source: PolicySource;
  updatedAt: number;
}

interface PolicyRow {
  service: string;
  policy: string;
  source: PolicySource;
  updated_at: number;
}

function toRecord(row: PolicyRow): PolicyRecord {
  // Re-parsed so a stored policy gains defaults added since it was written.
  const policy = ServicePolicySchema.parse(JSON.parse(row.policy));
  return { service: row.service, policy, source: row.source, updatedAt: row.updated_at };
}

/** The service_policies table, read through a ReadCache: the route picker reads a policy on every call. */
export class PolicyStore {
  readonly #db: BetterSqlite3.Database;
  readonly #stmts;
  /** Policies by service, a service without one included; emptied by any write to the database. */
  readonly #cache: ReadCache<string, PolicyRecord | undefined>;

  constructor(db: BetterSqlite3.Database) {
    this.#db = db;
    this.#cache = new ReadCache(db, 1_000);
    this.#stmts = {
      get: db.prepare<[string], PolicyRow>('SELECT * FROM service_policies WHERE service = ?'),
      list: db.prepare<[], PolicyRow>('SELECT * FROM service_policies ORDER BY service'),
      upsert: db.prepare<PolicyRow>(
        `INSERT INTO service_policies (service, policy, source, updated_at)
         VALUES (@service, @policy, @source, @updated_at)
         ON CONFLICT (service) DO UPDATE SET policy = excluded.policy, source = excluded.source,
           updated_at = excluded.updated_at`,
      ),
      delete: db.prepare<[string]>('DELETE FROM service_policies WHERE service = ?'),
    };
  }

  /** The policy record of a service, if one was set. */
  get(service: string): PolicyRecord | undefined {
    return this.#cache.get(
      service,
      () => {
        const row = this.#stmts.get.get(service);
        return row ? toRecord(row) : undefined;
      },
      () => true,
    );
  }

  /** Every stored policy, ordered by service. */
  list(): PolicyRecord[] {
    return this.#stmts.list.all().map(toRecord);
  }

  /** Stores a (validated) policy for a service, replacing any previous one; returns the record. */
  set(service: string, policy: ServicePolicy, source: PolicySource, now: number): PolicyRecord {
    this.#cache.invalidate();
    this.#stmts.upsert.run({ service, policy: JSON.stringify(policy), source, updated_at: now });
    return { service, policy, source, updatedAt: now };
  }

  /** Deletes a service's policy; false when it had none. */
  delete(service: string): boolean {
    this.#cache.invalidate();
    return this.#stmts.delete.run(service).changes === 1;
  }

  /** Makes the config file's policies the set of `config` policies: upserts them, drops config ones gone. */
  syncConfig(policies: Readonly<Record<string, ServicePolicy>>, now: number): void {
    this.#db
      .transaction(() => {
        for (const record of this.list()) {
          if (record.source === 'config' && !(record.service in policies)) this.delete(record.service);
        }
        for (const [service, policy] of Object.entries(policies)) this.set(service, policy, 'config', now);
      })
      .immediate();
  }
}
