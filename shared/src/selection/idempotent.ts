const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** True for the HTTP methods RFC 9110 calls idempotent (GET, HEAD, OPTIONS, TRACE, PUT, DELETE), any case. */
export function isIdempotent(method: string): boolean {
  return IDEMPOTENT.has(method.toUpperCase());
}
