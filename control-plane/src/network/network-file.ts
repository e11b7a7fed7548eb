import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { z } from 'zod';
import {
  CentralServiceSchema,
  DEFAULT_POLICY,
  formatZodError,
  ServiceNameSchema,
  ServicePolicySchema,
  ValidationError,
  type CentralService,
  type ServicePolicy,
} from '@tether/shared';
import { RoleSchema } from '../auth/access-policy.js';
import { TokenNameSchema } from '../auth/api-tokens.js';
import type { NetworkState } from './network-state.js';

/** The format version a network file declares (`version: 1`); export writes it, apply accepts it or none. */
export const NETWORK_FILE_VERSION = 1;

/** A token by name in a network file: its secret is never in the file (apply prints a new one once). */
export const NetworkTokenSchema = z.strictObject({ name: TokenNameSchema, role: RoleSchema });

const uniqueBy =
  <T>(key: (item: T) => string, what: string) =>
  (items: T[], ctx: z.RefinementCtx): void => {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      const k = key(item);
      if (seen.has(k))
        ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `${what} "${k}" appears twice` });
      seen.add(k);
    });
  };

/**
 * A network as code (`tether-cp apply -f`, `tether-cp export`): central services, selection policies by service and
 * API tokens by name, strict at every depth. A section left out is not managed: apply leaves it alone, even with
 * `--prune`; an empty section (`services: []`) is managed and, with `--prune`, empties it.
 */
export const NetworkFileSchema = z.strictObject({
  version: z.literal(NETWORK_FILE_VERSION).optional(),
  services: z
    .array(CentralServiceSchema)
    .max(10_000)
    .superRefine(uniqueBy((s) => s.name, 'service'))
    .optional(),
  policies: z.record(ServiceNameSchema, ServicePolicySchema).optional(),
  tokens: z
    .array(NetworkTokenSchema)
    .max(10_000)
    .superRefine(uniqueBy((t) => t.name, 'token'))
    .optional(),
});
/** A validated network file (defaults applied). */
export type NetworkFile = z.infer<typeof NetworkFileSchema>;

/** Parses a network file's text (YAML, which includes JSON); a ValidationError names the file and the bad field. */
export function parseNetworkFile(text: string, source: string): NetworkFile {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    throw new ValidationError(`${source} is not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  const parsed = NetworkFileSchema.safeParse(data ?? {});
  if (parsed.success) return parsed.data;
  throw new ValidationError(`invalid network file ${source}: ${formatZodError(parsed.error)}`);
}

/** A policy as written by export: only what differs from the defaults (apply fills them in again). */
export function policyAsWritten(policy: ServicePolicy): Partial<ServicePolicy> {
  const written: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(policy)) {
    if (JSON.stringify(value) !== JSON.stringify(DEFAULT_POLICY[key as keyof ServicePolicy]))
      written[key] = value;
  }
  return written;
}

/** A central service as written by export: labels and metric only when not the defaults. */
export function serviceAsWritten(s: CentralService): Partial<CentralService> {
  return {
    name: s.name,
    url: s.url,
    ...(Object.keys(s.labels).length ? { labels: s.labels } : {}),
    ...(s.metric === 1 ? {} : { metric: s.metric }),
    ...(s.visibleTo ? { visibleTo: s.visibleTo } : {}),
  };
}

/** The network file of a state (every section, defaults left out), as YAML with a header saying how to apply it. */
export function formatNetworkFile(state: NetworkState, exportedAt: Date): string {
  const policies: Record<string, Partial<ServicePolicy>> = {};
  for (const [service, policy] of Object.entries(state.policies)) policies[service] = policyAsWritten(policy);
  const body = stringifyYaml({
    version: NETWORK_FILE_VERSION,
    services: state.services.map(serviceAsWritten),
    policies,
    tokens: state.tokens.map((t) => ({ name: t.name, role: t.role })),
  });
  return (
    `# Tether network, exported ${exportedAt.toISOString()} by tether-cp export.\n` +
    '# Apply with: tether-cp apply -f FILE [--dry-run] [--prune]. Token secrets are never in this file.\n' +
    body
  );
}
