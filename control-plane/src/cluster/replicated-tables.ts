/** A table whose rows every replica shares through the change log (docs/cluster.md, "Unique writes"). */
export interface ReplicatedTable {
  name: string;
  key: string;
  /** The replicated columns (row images carry only these; others, like liveness, stay per replica). */
  columns: readonly string[];
  /** Updates of these columns are logged (default: any column). */
  updateOf?: readonly string[];
}

/** Agents' identity and credentials, grants, API tokens and route policies. */
export const REPLICATED_TABLES: readonly ReplicatedTable[] = [
  {
    name: 'agents',
    key: 'id',
    columns: [
      'id',
      'secret_hash',
      'created_at',
      'pending_secret_hash',
      'rotation_id',
      'rotation_requested_at',
      'secret_rotated_at',
      'revoked_at',
      'fixed_strategy',
    ],
    updateOf: [
      'secret_hash',
      'pending_secret_hash',
      'rotation_id',
      'rotation_requested_at',
      'secret_rotated_at',
      'revoked_at',
    ],
  },
  {
    name: 'enrollment_grants',
    key: 'id',
    columns: [
      'id',
      'secret_hash',
      'created_at',
      'expires_at',
      'agent_id',
      'site',
      'labels',
      'used_at',
      'used_by',
      'strategy',
    ],
  },
  {
    name: 'api_tokens',
    key: 'id',
    columns: ['id', 'name', 'role', 'token_hash', 'created_at', 'created_by'],
  },
  { name: 'service_policies', key: 'service', columns: ['service', 'policy', 'source', 'updated_at'] },
];
