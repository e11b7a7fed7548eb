import type BetterSqlite3 from 'better-sqlite3';

type Database = BetterSqlite3.Database;

/** One schema step: applied once, in order, tracked by `PRAGMA user_version`. */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

/** Every migration, oldest first. Append only: never edit a released step. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'agents, routes, services',
    sql: `
      CREATE TABLE agents (
        id          TEXT PRIMARY KEY,
        secret_hash TEXT NOT NULL,
        created_at  INTEGER NOT NULL,
        status      TEXT NOT NULL DEFAULT 'offline' CHECK (status IN ('online', 'offline')),
        strategy    TEXT,
        site        TEXT,
        labels      TEXT NOT NULL DEFAULT '{}',
        version     TEXT,
        last_seen   INTEGER,
        epoch       TEXT,
        seq         INTEGER
      ) STRICT;
      CREATE TABLE routes (
        key         TEXT PRIMARY KEY,
        service     TEXT NOT NULL,
        address     TEXT NOT NULL,
        origin      TEXT NOT NULL,
        origin_kind TEXT NOT NULL,
        site        TEXT NOT NULL,
        labels      TEXT NOT NULL,
        metric      INTEGER NOT NULL,
        state       TEXT NOT NULL,
        version     INTEGER NOT NULL,
        stale_since INTEGER
      ) STRICT;
      CREATE INDEX routes_origin ON routes (origin);
      CREATE INDEX routes_service ON routes (service);
      CREATE INDEX routes_state ON routes (state, stale_since);
      CREATE TABLE services (
        name       TEXT PRIMARY KEY,
        url        TEXT NOT NULL,
        labels     TEXT NOT NULL DEFAULT '{}',
        metric     INTEGER NOT NULL,
        visible_to TEXT,
        source     TEXT NOT NULL CHECK (source IN ('config', 'api'))
      ) STRICT;
    `,
  },
  {
    version: 2,
    description: 'per-service route selection policies',
    sql: `
      CREATE TABLE service_policies (
        service    TEXT PRIMARY KEY,
        policy     TEXT NOT NULL,
        source     TEXT NOT NULL CHECK (source IN ('config', 'api')),
        updated_at INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 3,
    description: 'reports from agents, exactly once by (agent, stream, seq), and per-stream bookkeeping',
    sql: `
      CREATE TABLE reports (
        id           INTEGER PRIMARY KEY,
        agent        TEXT NOT NULL,
        stream       TEXT NOT NULL,
        seq          INTEGER NOT NULL,
        at           INTEGER NOT NULL,
        received_at  INTEGER NOT NULL,
        content_type TEXT NOT NULL,
        body         BLOB NOT NULL,
        UNIQUE (agent, stream, seq)
      ) STRICT;
      CREATE INDEX reports_stream ON reports (stream, id);
      CREATE INDEX reports_received ON reports (received_at);
      CREATE TABLE report_streams (
        agent            TEXT NOT NULL,
        stream           TEXT NOT NULL,
        count            INTEGER NOT NULL,
        bytes            INTEGER NOT NULL,
        last_seq         INTEGER NOT NULL,
        last_at          INTEGER NOT NULL,
        last_received_at INTEGER NOT NULL,
        floor_seq        INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (agent, stream)
      ) STRICT;
    `,
  },
  {
    version: 4,
    description: 'enrollment grants (hashes only) and credential rotation (a pending secret hash per agent)',
    sql: `
      CREATE TABLE enrollment_grants (
        id          TEXT PRIMARY KEY,
        secret_hash TEXT NOT NULL,
        created_at  INTEGER NOT NULL,
        expires_at  INTEGER NOT NULL,
        agent_id    TEXT,
        site        TEXT,
        labels      TEXT NOT NULL DEFAULT '{}',
        used_at     INTEGER,
        used_by     TEXT
      ) STRICT;
      ALTER TABLE agents ADD COLUMN pending_secret_hash TEXT;
      ALTER TABLE agents ADD COLUMN rotation_id TEXT;
      ALTER TABLE agents ADD COLUMN rotation_requested_at INTEGER;
      ALTER TABLE agents ADD COLUMN secret_rotated_at INTEGER;
    `,
  },
  {
    version: 5,
    description: 'API tokens with roles, agent revocation, the audit log',
    sql: `
      CREATE TABLE api_tokens (
        id         TEXT PRIMARY KEY,
        name       TEXT NOT NULL UNIQUE,
        role       TEXT NOT NULL CHECK (role IN ('admin', 'viewer', 'caller')),
        token_hash TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        created_by TEXT
      ) STRICT;
      ALTER TABLE agents ADD COLUMN revoked_at INTEGER;
      CREATE INDEX agents_revoked ON agents (revoked_at) WHERE revoked_at IS NOT NULL;
      CREATE TABLE audit (
        id        INTEGER PRIMARY KEY,
        at        INTEGER NOT NULL,
        last_at   INTEGER NOT NULL,
        kind      TEXT NOT NULL,
        agent_id  TEXT,
        actor     TEXT,
        source    TEXT,
        detail    TEXT,
        count     INTEGER NOT NULL DEFAULT 1,
        coalesced INTEGER NOT NULL DEFAULT 0
      ) STRICT;
      CREATE INDEX audit_kind ON audit (kind, id);
      CREATE INDEX audit_agent ON audit (agent_id, id);
      CREATE INDEX audit_coalesced ON audit (coalesced, id);
    `,
  },
  {
    version: 6,
    description: 'cluster: the outbox of replicated changes and the change-log cursor (docs/cluster.md)',
    sql: `
      CREATE TABLE cluster_outbox (
        id  INTEGER PRIMARY KEY,
        tbl TEXT NOT NULL,
        key TEXT NOT NULL,
        row TEXT
      ) STRICT;
      CREATE TABLE cluster_state (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 7,
    description: 'service name conflicts: an edge advertising a centrally defined service, recorded once',
    sql: `
      CREATE TABLE service_conflicts (
        service TEXT NOT NULL,
        agent   TEXT NOT NULL,
        since   INTEGER NOT NULL,
        PRIMARY KEY (service, agent)
      ) STRICT;
    `,
  },
  {
    version: 8,
    description: 'hub-enforced strategy: an agent (or the grant that enrolls it) may have its strategy fixed',
    sql: `
      ALTER TABLE agents ADD COLUMN fixed_strategy TEXT
        CHECK (fixed_strategy IN ('none', 'local', 'best', 'all'));
      ALTER TABLE enrollment_grants ADD COLUMN strategy TEXT
        CHECK (strategy IN ('none', 'local', 'best', 'all'));
    `,
  },
  {
    version: 9,
    description: 'route sources: where an agent found each of its routes (static, api, file, etcd, mdns)',
    sql: `
      ALTER TABLE routes ADD COLUMN source TEXT;
    `,
  },
  {
    version: 10,
    description:
      'the route table generation: bumped by every route write, so the in-memory index sees a rollback',
    sql: `
      CREATE TABLE route_generation (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        n  INTEGER NOT NULL
      ) STRICT;
      INSERT INTO route_generation (id, n) VALUES (1, 0);
    `,
  },
  {
    version: 11,
    description:
      'routes are read from the in-memory index: only the per-origin index stays (agent pages, bulk updates)',
    sql: `
      DROP INDEX routes_service;
      DROP INDEX routes_state;
    `,
  },
  {
    version: 12,
    description: 'TCP listeners: a port of the control plane forwarding each connection to a service',
    sql: `
      CREATE TABLE tcp_listeners (
        port       INTEGER PRIMARY KEY CHECK (port BETWEEN 1 AND 65535),
        host       TEXT NOT NULL,
        service    TEXT NOT NULL,
        source     TEXT NOT NULL CHECK (source IN ('api', 'config')),
        created_at INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 13,
    description: 'fleet upgrades: a rollout of a signed agent build, and where each of its agents stands',
    sql: `
      CREATE TABLE upgrade_rollouts (
        id           TEXT PRIMARY KEY,
        sha256       TEXT NOT NULL,
        size         INTEGER NOT NULL,
        signature    TEXT NOT NULL,
        selector     TEXT NOT NULL,
        canary       INTEGER NOT NULL,
        max_failures INTEGER NOT NULL,
        deadline_ms  INTEGER NOT NULL,
        state        TEXT NOT NULL CHECK (state IN ('running', 'done', 'stopped')),
        reason       TEXT,
        created_at   INTEGER NOT NULL,
        updated_at   INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE upgrade_targets (
        rollout_id TEXT NOT NULL REFERENCES upgrade_rollouts (id) ON DELETE CASCADE,
        agent_id   TEXT NOT NULL,
        position   INTEGER NOT NULL,
        state      TEXT NOT NULL
          CHECK (state IN ('pending', 'sending', 'upgraded', 'rolled-back', 'refused', 'timed-out', 'skipped')),
        version    TEXT,
        reason     TEXT,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (rollout_id, agent_id)
      ) STRICT;
    `,
  },
  {
    version: 14,
    description:
      "routes clustered by origin (WITHOUT ROWID, key (origin, key)): an agent's routes share a page or two, so " +
      'a snapshot writes those instead of a page per route (the key index was ordered by service first)',
    sql: `
      CREATE TABLE routes_by_origin (
        origin      TEXT NOT NULL,
        key         TEXT NOT NULL,
        service     TEXT NOT NULL,
        address     TEXT NOT NULL,
        origin_kind TEXT NOT NULL,
        site        TEXT NOT NULL,
        labels      TEXT NOT NULL,
        metric      INTEGER NOT NULL,
        state       TEXT NOT NULL,
        version     INTEGER NOT NULL,
        stale_since INTEGER,
        source      TEXT,
        PRIMARY KEY (origin, key)
      ) STRICT, WITHOUT ROWID;
      INSERT INTO routes_by_origin (origin, key, service, address, origin_kind, site, labels, metric, state, version,
        stale_since, source)
        SELECT origin, key, service, address, origin_kind, site, labels, metric, state, version, stale_since, source
        FROM routes;
      DROP TABLE routes;
      ALTER TABLE routes_by_origin RENAME TO routes;
    `,
  },
];

/** Applies the migrations newer than the database's `user_version`, each in its own transaction. */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
  return db.pragma('user_version', { simple: true }) as number;
}
