import { TooManyHopsError, ValidationError } from '../errors.js';
import type { HeaderList } from './call-types.js';

/** Headers that belong to one connection and are never forwarded. */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'host',
]);

/** Header names Tether sets itself: never taken from the client. */
export const TETHER_HEADERS = {
  caller: 'x-tether-caller',
  hops: 'x-tether-hops',
  timeout: 'x-tether-timeout',
} as const;

/** The most proxies a call may pass. */
export const MAX_HOPS = 2;
/** The deadline of a call without `x-tether-timeout` (30 s). */
export const DEFAULT_CALL_TIMEOUT_MS = 30_000;

/** Adds the names a Connection header's value lists to `into` (made when first needed). */
function connectionTokens(value: string, into: Set<string> | undefined): Set<string> {
  const names = into ?? new Set<string>();
  for (const token of value.split(',')) names.add(token.trim().toLowerCase());
  return names;
}

/** True when a header of this (lower-case) name is passed on: not hop-by-hop, `proxy-*`, listed or Tether's own. */
function passes(name: string, dropped: Set<string> | undefined): boolean {
  if (HOP_BY_HOP.has(name) || name.startsWith('proxy-') || dropped?.has(name)) return false;
  return name !== TETHER_HEADERS.caller && name !== TETHER_HEADERS.hops && name !== TETHER_HEADERS.timeout;
}

/** Node's `rawHeaders` (name, value, name, value...) minus hop-by-hop, `proxy-*` and Tether's own headers. */
export function forwardableHeaders(raw: readonly string[]): HeaderList {
  // The names a Connection header lists (made only when there is one: once per call).
  let dropped: Set<string> | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2)
    if (raw[i]!.toLowerCase() === 'connection') dropped = connectionTokens(raw[i + 1]!, dropped);
  const out: HeaderList = [];
  for (let i = 0; i + 1 < raw.length; i += 2)
    if (passes(raw[i]!.toLowerCase(), dropped)) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}

/**
 * A header list minus what forwardableHeaders drops, in a new list that shares the kept pairs (no `flat()` and no
 * pair copied: twice per call, at the agent and at the control plane).
 */
export function forwardableList(list: HeaderList): HeaderList {
  let dropped: Set<string> | undefined;
  for (const [name, value] of list)
    if (name.toLowerCase() === 'connection') dropped = connectionTokens(value, dropped);
  const out: HeaderList = [];
  for (const pair of list) if (passes(pair[0].toLowerCase(), dropped)) out.push(pair);
  return out;
}

/**
 * The headers a call or stream carries on to a service: the far end's forwardable ones, then Tether's caller and
 * hop count, set from what the tunnel carried (`caller`, `hops`), never from the client.
 */
export function upstreamHeaders(head: { headers: HeaderList; caller: string; hops: number }): HeaderList {
  const out = forwardableList(head.headers); // a new list: appended to, not copied (once per call)
  out.push([TETHER_HEADERS.caller, head.caller], [TETHER_HEADERS.hops, String(head.hops)]);
  return out;
}

/**
 * A header list as an object for node:http (repeated names become arrays), without the names in `omit` (lower
 * case): left out here rather than deleted after, which would turn the object into a slow dictionary.
 */
export function headerRecord(
  list: HeaderList,
  omit?: ReadonlySet<string>,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of list) {
    const key = name.toLowerCase();
    if (omit?.has(key)) continue;
    const prev = out[key];
    out[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

/** The hop count after this proxy, from the incoming `x-tether-hops`; throws TooManyHopsError beyond MAX_HOPS. */
export function nextHops(header: string | string[] | undefined): number {
  const raw = Array.isArray(header) ? header[0] : header;
  const hops = raw === undefined ? 0 : Number(raw);
  if (!Number.isInteger(hops) || hops < 0)
    throw new ValidationError(`invalid ${TETHER_HEADERS.hops}: ${raw}`);
  if (hops + 1 > MAX_HOPS)
    throw new TooManyHopsError(`a call may pass at most ${MAX_HOPS} proxies (hops ${hops})`);
  return hops + 1;
}

/** The deadline in ms from `x-tether-timeout` (default 30 s). */
export function callTimeoutMs(header: string | string[] | undefined): number {
  const raw = Array.isArray(header) ? header[0] : header;
  if (raw === undefined) return DEFAULT_CALL_TIMEOUT_MS;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms <= 0 || ms > 86_400_000)
    throw new ValidationError(`invalid ${TETHER_HEADERS.timeout}: ${raw} (milliseconds, 1-86400000)`);
  return ms;
}
