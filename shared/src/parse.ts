import { z } from 'zod';
import { ValidationError } from './errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses a duration such as `250ms`, `30s`, `5m`, `1h`, `2d`, or a bare number of milliseconds. */
export function parseDuration(text: string | number): number {
  if (typeof text === 'number') {
    if (Number.isFinite(text) && text >= 0) return text;
    throw new ValidationError(`invalid duration ${text}: expected a non-negative number of ms`);
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!m) throw new ValidationError(`invalid duration "${text}": expected e.g. 500ms, 30s, 5m, 1h`);
  return Math.round(Number(m[1]) * UNITS[m[2] ?? 'ms']!);
}

/** Parses `key=value` (the value may contain `=`); throws a ValidationError naming `what` otherwise. */
export function parseKeyValue(text: string, what = 'value'): [string, string] {
  const i = text.indexOf('=');
  if (i <= 0) throw new ValidationError(`invalid ${what} "${text}": expected key=value`);
  return [text.slice(0, i), text.slice(i + 1)];
}

/** Parses a list of `key=value` strings into an object (later keys win). */
export function parseKeyValues(items: readonly string[], what = 'value'): Record<string, string> {
  return Object.fromEntries(items.map((item) => parseKeyValue(item, what)));
}

const BYTE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** Parses a size such as `512KiB`, `64MiB`, `1GB`, or a bare number of bytes. */
export function parseBytes(text: string | number): number {
  if (typeof text === 'number') {
    if (Number.isInteger(text) && text >= 0) return text;
    throw new ValidationError(`invalid size ${text}: expected a non-negative integer of bytes`);
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b|b)?\s*$/i.exec(text);
  if (!m) throw new ValidationError(`invalid size "${text}": expected e.g. 4096, 512KiB, 64MiB, 1GB`);
  return Math.round(Number(m[1]) * BYTE_UNITS[(m[2] ?? 'b').toLowerCase()]!);
}

/** A non-negative integer query parameter, or undefined when absent; throws a ValidationError naming it. */
export function intParam(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new ValidationError(`invalid ${name} "${value}": expected a non-negative integer`);
  return n;
}

/** A time query parameter (epoch ms or an ISO date), or undefined when absent; throws a ValidationError. */
export function timeParam(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new ValidationError(`invalid ${name} "${value}": expected epoch ms or an ISO date`);
  return ms;
}

/** A duration as written in config files: milliseconds, or text such as `500ms`, `30s`, `5m`, `1h`. */
export const DurationInputSchema = z.union([
  z.number().int().min(0),
  z
    .string()
    .regex(/^\s*\d+(?:\.\d+)?\s*(?:ms|s|m|h|d)?\s*$/, 'expected a duration such as 500ms, 30s, 5m or 1h'),
]);

/** Bytes per second of one unit: bits (`bit`, `bps`, as tc and ISPs write them) or bytes per second (`B/s`). */
const RATE_UNITS: Record<string, number> = {
  bit: 1 / 8,
  kbit: 1e3 / 8,
  mbit: 1e6 / 8,
  gbit: 1e9 / 8,
  bps: 1 / 8,
  kbps: 1e3 / 8,
  mbps: 1e6 / 8,
  gbps: 1e9 / 8,
  'b/s': 1,
  'kb/s': 1e3,
  'mb/s': 1e6,
  'kib/s': 1024,
  'mib/s': 1024 ** 2,
};

/**
 * Parses a link rate such as `32kbit`, `2mbit`, `64kbps` (bits per second) or `4KiB/s` (bytes per second); a bare
 * number is bits per second. Returns bytes per second.
 */
export function parseRate(text: string | number): number {
  const fail = (): never => {
    throw new ValidationError(`invalid rate "${text}": expected e.g. 32kbit, 2mbit, 64kbps or 4KiB/s`);
  };
  if (typeof text === 'number') return Number.isFinite(text) && text > 0 ? text / 8 : fail();
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?bit|[kmg]?bps|[km]i?b\/s|b\/s)?\s*$/i.exec(text);
  if (!m) return fail();
  const rate = Number(m[1]) * RATE_UNITS[(m[2] ?? 'bit').toLowerCase()]!;
  return rate > 0 ? rate : fail();
}
