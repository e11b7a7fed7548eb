import type { Clock } from '@tether/shared';
import type { ControlPlaneOptions } from '../control-plane-types.js';
import type { Logger } from '../observability/logger.js';

/** What every part of a starting control plane is built from: its options, clock and logger. */
export interface StartContext {
  options: ControlPlaneOptions;
  clock: Clock;
  logger: Logger;
}
