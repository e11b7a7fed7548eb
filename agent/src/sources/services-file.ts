import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { formatZodError } from '@tether/shared';
import { ServiceInputSchema, type ServiceSpec } from '../services/service-input.js';
import { toServiceSpec } from '../services/service-spec.js';
import { isExported } from './source-labels.js';

const ServiceListSchema = z.array(ServiceInputSchema).max(100_000);
/** A services file: a list of services, or `{ services: [...] }`, each as in the agent's config file. */
const ServicesFileSchema = z.strictObject({ services: ServiceListSchema });

/** A services file read: its services, or what is wrong with it (with the field path). */
export type ServicesFileParse = { ok: true; specs: ServiceSpec[] } | { ok: false; error: string };

/**
 * Reads a services file (YAML or JSON: one parser serves both). With `exportKey`, only entries whose labels have
 * it. An invalid file names the first bad field (`services.2.url: an http:// or https:// URL`).
 */
export function parseServicesFile(text: string, exportKey: string | undefined): ServicesFileParse {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    return { ok: false, error: `neither JSON nor YAML: ${(err as Error).message.split('\n')[0]}` };
  }
  const parsed = Array.isArray(raw)
    ? ServiceListSchema.safeParse(raw)
    : ServicesFileSchema.transform((file) => file.services).safeParse(raw ?? { services: [] });
  if (!parsed.success) return { ok: false, error: formatZodError(parsed.error) };
  const inputs = parsed.data;
  return {
    ok: true,
    specs: inputs
      .filter((input) => isExported(input.labels ?? {}, exportKey))
      .map((input) => toServiceSpec(input, 'file')),
  };
}
