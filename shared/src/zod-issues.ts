import type { z } from 'zod';

/** The most issues one message lists (a body with 10,000 bad items must not make a 10,000-line answer). */
export const MAX_LISTED_ISSUES = 10;

/** The part of a zod issue a message needs (any zod issue has it). */
export interface IssueLike {
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly code?: string;
  readonly keys?: readonly string[];
}

/** A field path as people write it: `services.0.visibleTo` (empty for the value itself). */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

/** One issue as `path: what is wrong`; an unknown key reads `visibleTo: unrecognized key "label"`. */
export function formatZodIssue(issue: IssueLike): string {
  const what =
    issue.code === 'unrecognized_keys' && issue.keys
      ? `unrecognized key${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`
      : issue.message;
  const path = issuePath(issue.path);
  return path ? `${path}: ${what}` : what;
}

/**
 * Every issue of a failed zod parse on one line, `; `-separated, each naming its field path (and the bad keys of
 * a strict object); at most MAX_LISTED_ISSUES, then how many more. The one formatter of validation errors for
 * API answers, config errors and refused wire messages.
 */
export function formatZodIssues(issues: readonly IssueLike[]): string {
  const listed = issues.slice(0, MAX_LISTED_ISSUES).map(formatZodIssue);
  const more = issues.length - listed.length;
  return more > 0 ? `${listed.join('; ')}; and ${more} more` : listed.join('; ');
}

/** `formatZodIssues` of a ZodError. */
export function formatZodError(error: z.ZodError): string {
  return formatZodIssues(error.issues);
}
