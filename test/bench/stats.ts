import { readFileSync } from 'node:fs';

/** The q-quantile (0..1) of a list of numbers, nearest rank; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Resident set size of a process in bytes, read from /proc. */
export function rssOf(pid: number): number {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(text);
  return kb ? Number(kb[1]) * 1024 : Number.NaN;
}

/** Formats milliseconds with two decimals. */
export const ms = (n: number): string => `${n.toFixed(2)} ms`;
/** Formats bytes as MiB. */
export const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;
