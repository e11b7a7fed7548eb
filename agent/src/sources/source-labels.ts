import { LabelsSchema, ServiceNameSchema, type Labels } from '@tether/shared';

const MAX_LABELS = 32;
const FALSY = new Set(['', '0', 'false', 'no', 'off']);

/**
 * A registry's metadata (go-micro metadata, DNS-SD TXT) as route labels: string pairs that fit the label rules
 * (key 1-64 characters, value at most 256, at most 32 labels, first by key); what does not fit is left out.
 */
export function metadataLabels(metadata: Readonly<Record<string, unknown>> | null | undefined): Labels {
  const labels: Labels = {};
  for (const key of Object.keys(metadata ?? {}).sort()) {
    if (Object.keys(labels).length >= MAX_LABELS) break;
    const value = metadata?.[key];
    const text = typeof value === 'string' ? value : typeof value === 'boolean' ? String(value) : undefined;
    if (text === undefined || key.length === 0 || key.length > 64 || text.length > 256) continue;
    labels[key] = text;
  }
  return LabelsSchema.parse(labels);
}

/**
 * Opt-in export: with no export key every instance is imported; with one, only instances whose metadata has it
 * with a value other than "", "0", "false", "no" or "off" (a bare DNS-SD TXT key counts as set).
 */
export function isExported(
  metadata: Readonly<Record<string, unknown>>,
  exportKey: string | undefined,
): boolean {
  if (exportKey === undefined) return true;
  const value = metadata[exportKey];
  if (value === undefined || value === null) return false;
  if (value === true) return true;
  return typeof value === 'string' && !FALSY.has(value.trim().toLowerCase());
}

/**
 * A registry's name for a service as a Tether service name: kept when valid, else every character outside
 * letters, digits, ".", "-" and "_" becomes "-" (a DNS-SD instance such as "Orders (2)"), cut at 128; undefined
 * when nothing usable is left.
 */
export function serviceNameOf(name: string): string | undefined {
  if (ServiceNameSchema.safeParse(name).success) return name;
  const cleaned = name
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/-+$/, '')
    .slice(0, 128);
  return ServiceNameSchema.safeParse(cleaned).success ? cleaned : undefined;
}
