import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { TetherError } from './errors.js';

/** A data or state directory that other users could read and that could not be made private. */
export class PrivateDirError extends TetherError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('insecure_dir', message, options);
  }
}

/**
 * Makes `dir` exist with mode 0700 (secrets, databases and tokens live there): created so, or tightened from a
 * wider mode such as 0755. Throws PrivateDirError, saying what to run, when it cannot be.
 */
export function ensurePrivateDir(dir: string, what = 'data dir'): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const mode = statSync(dir).mode & 0o777;
  if ((mode & 0o077) === 0) return;
  try {
    chmodSync(dir, 0o700);
  } catch (cause) {
    throw new PrivateDirError(
      `the ${what} ${dir} is open to other users (mode ${mode.toString(8)}) and could not be made 0700: ` +
        `run \`chmod 700 ${dir}\` as its owner`,
      { cause },
    );
  }
}
