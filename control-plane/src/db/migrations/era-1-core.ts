import type { Migration } from './migration.js';

/**
 * Migrations 1 to 5, the first schema: agents, routes and services, selection policies, reports, enrollment
 * grants and credential rotation, API tokens, revocation and the audit log. Released: never edit.
 */
export const ERA_1_CORE: readonly Migration[] = [
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
];
