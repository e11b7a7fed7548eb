import { z } from 'zod';
import type { ServiceSpec } from '../services/service-input.js';
import { isExported, metadataLabels, serviceNameOf } from './source-labels.js';

const Metadata = z.record(z.string(), z.unknown()).nullish();

/** go-micro's registry.Service as its etcd registry stores it (one node per key); unknown fields are ignored. */
const MicroServiceSchema = z.object({
  name: z.string().min(1),
  version: z.string().nullish(),
  metadata: Metadata,
  nodes: z
    .array(
      z.object({
        id: z.string().nullish(),
        address: z.string().min(1),
        /** go-micro before v1.11 kept the port apart. */
        port: z.number().int().min(0).max(65535).nullish(),
        metadata: Metadata,
      }),
    )
    .nullish(),
});

/** What one registry key gave: the instances it holds, or why it was skipped. */
export type MicroParse = { ok: true; specs: ServiceSpec[] } | { ok: false; reason: string };

/**
 * Reads one value of go-micro's etcd registry (`<prefix><service>/<node id>` -> Service JSON): one instance per
 * node, named after the service, at `http://<node address>`, labelled with the service's then the node's metadata
 * (the node's win) and the service `version`. With `exportKey`, only nodes whose metadata (or the service's) has it.
 */
export function parseMicroService(value: string, exportKey: string | undefined): MicroParse {
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const parsed = MicroServiceSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: 'not a go-micro service' };
  const service = parsed.data;
  const name = serviceNameOf(service.name);
  if (name === undefined) return { ok: false, reason: `service name "${service.name}" has nothing usable` };
  const specs: ServiceSpec[] = [];
  for (const node of service.nodes ?? []) {
    const metadata = { ...service.metadata, ...node.metadata };
    if (!isExported(metadata, exportKey)) continue;
    const url = nodeUrl(node.address, node.port ?? undefined);
    if (url === undefined) continue;
    const labels = metadataLabels({ ...(service.version ? { version: service.version } : {}), ...metadata });
    specs.push({ name, url, metric: 1, labels, source: 'etcd' });
  }
  return { ok: true, specs };
}

/** `http://<address>` for `host:port`, `[v6]:port`, or a bare host with go-micro's old separate port. */
function nodeUrl(address: string, port: number | undefined): string | undefined {
  const hasPort = /:\d+$/.test(address) && (!address.includes('::') || address.startsWith('['));
  const host = !hasPort && address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
  const text = hasPort ? `http://${host}` : port ? `http://${host}:${port}` : undefined;
  if (text === undefined) return undefined;
  try {
    const url = new URL(text);
    return url.pathname === '/' && url.search === '' ? text : undefined;
  } catch {
    return undefined;
  }
}
