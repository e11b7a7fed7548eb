import type { Migration } from './migration.js';

/**
 * Migrations 10 to 14, scale and the fleet: the route generation and in-memory index, TCP listeners, fleet
 * upgrades, routes clustered by origin. Released: never edit.
 */
export const ERA_3_SCALE: readonly Migration[] = [
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
