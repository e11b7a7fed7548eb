import { ValidationError } from '@tether/shared';

/** Bad or missing configuration: the CLI prints the message and exits with status 2. */
export class ConfigError extends ValidationError {
  /** The process exit status for this error. */
  readonly exitCode = 2;
}
