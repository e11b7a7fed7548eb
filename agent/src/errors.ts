import { ValidationError } from '@tether/shared';

/** Bad or missing configuration: the CLI prints the message and exits with status 2. */
export class ConfigError extends ValidationError {
  /** The process exit status for this error. */
  readonly exitCode = 2;
}

/** A service registry (etcd, a services file, the mDNS link) could not be read; the message says which and why. */
export class SourceUnreachableError extends Error {
  override readonly name = 'SourceUnreachableError';
}
