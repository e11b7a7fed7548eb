import { ValidationError } from '@tether/shared';

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
