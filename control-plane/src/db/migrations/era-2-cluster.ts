import type { Migration } from './migration.js';

/**
 * Migrations 6 to 9, replicas and edges under the hub's rules: the cluster outbox, service name conflicts,
 * hub-enforced strategies, route sources. Released: never edit.
 */
export const ERA_2_CLUSTER: readonly Migration[] = [
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
];
