/** Every kind of audit event (the API's filter and the dashboard's audit page list them). */
export const AUDIT_KINDS = [
  'agent-created',
  'agent-revoked',
  'token-created',
  'token-updated',
  'token-deleted',
  'policy-set',
  'policy-deleted',
  'service-set',
  'service-deleted',
  'auth-failed',
  'acl-denied',
  'rate-limited',
  'agent-quarantined',
  'grant-created',
  'grant-redeemed',
  'grant-refused',
  'grant-revoked',
  'credential-rotated',
  'service-conflict',
  'service-conflict-resolved',
  'routes-refused',
  'agent-version-refused',
  'listener-created',
  'listener-deleted',
] as const;
/** One kind of audit event. */
export type AuditKind = (typeof AUDIT_KINDS)[number];
