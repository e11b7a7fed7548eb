import { z } from 'zod';
import { ValidationError } from '@tether/shared';

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

/** Parses a byte size such as `1024`, `64k`, `64MiB` or `1g` (binary units). Throws ValidationError. */
export function parseSize(value: string | number): number {
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  const m = /^\s*(\d+)\s*([a-z]*)\s*$/i.exec(String(value));
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined || Number(m[1]) <= 0)
    throw new ValidationError(
      `invalid size "${value}": expected bytes or a number with k, m or g (e.g. 64MiB)`,
    );
  return Number(m[1]) * unit;
}

/** A size as written in config files: a positive number of bytes, or text that parseSize reads. */
export const SizeInputSchema = z.union([z.string(), z.number().int().positive()]).refine(
  (v) => {
    try {
      parseSize(v);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected a size such as 256KiB or 1048576' },
);
