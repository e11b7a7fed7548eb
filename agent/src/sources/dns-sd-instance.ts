import { isIPv4, isIPv6 } from 'node:net';
import type { ServiceSpec } from '../services/service-input.js';
import { isExported, metadataLabels, serviceNameOf } from './source-labels.js';

/** A DNS-SD instance as a browser resolved it (PTR -> SRV, TXT, A/AAAA). */
export interface DnsSdInstance {
  /** The instance name ("Orders (2)"). */
  name: string;
  port: number;
  /** The SRV target's addresses. */
  addresses?: readonly string[];
  /** Who answered (used when no address record came along). */
  referer?: { address: string };
  txt?: Readonly<Record<string, unknown>>;
}

/**
 * A DNS-SD instance as a local service: named by its TXT `service` key when it has one (instances of one
 * service need distinct instance names on a link), else by its instance name made a valid service name; at
 * `<scheme>://<IPv4 address, else IPv6>:<port>`; TXT pairs as labels. Undefined when not exported or unusable.
 */
export function dnsSdSpec(
  instance: DnsSdInstance,
  scheme: 'http' | 'https',
  exportKey: string | undefined,
): ServiceSpec | undefined {
  const txt = instance.txt ?? {};
  if (!isExported(txt, exportKey)) return undefined;
  const named = typeof txt.service === 'string' ? txt.service : instance.name;
  const name = serviceNameOf(named);
  const addresses = [...(instance.addresses ?? [])];
  const address =
    addresses.find((a) => isIPv4(a)) ?? addresses.find((a) => isIPv6(a)) ?? instance.referer?.address;
  if (name === undefined || address === undefined || !(instance.port > 0)) return undefined;
  const host = isIPv6(address) ? `[${address}]` : address;
  return {
    name,
    url: `${scheme}://${host}:${instance.port}`,
    metric: 1,
    labels: metadataLabels(txt),
    source: 'mdns',
  };
}
