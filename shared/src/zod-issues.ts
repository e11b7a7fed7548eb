import type { z } from 'zod';

/**
 * A zod error as one line naming each bad field by its path: `visibleTo: Unrecognized key: "label"; metric: ...`
 * (`(root)` for the value itself).
 */
export function zodIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => `${i.path.length ? i.path.map(String).join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}
