import type { Clock } from '@tether/shared';

/** `promise`, or a rejection ("timed out after <ms> ms") when it has not settled within `ms` on `clock`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, clock: Clock): Promise<T> {
  let timer: unknown;
  const timeout = new Promise<never>((_, reject) => {
    timer = clock.setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clock.clearTimeout(timer);
  }
}
