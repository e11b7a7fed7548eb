import type { Clock } from '@tether/shared';
import type { StartAgentOptions } from '../config/agent-options.js';
import type { AgentLogger } from '../observability/logger.js';
import type { AgentIdentity } from '../sync/agent-status.js';

/** What every part of a starting agent is built from: its options and identity, its state dir, clock and logger. */
export interface StartContext {
  options: StartAgentOptions;
  identity: AgentIdentity;
  /** The control plane's URL, normalised. */
  controlPlane: string;
  stateDir: string;
  clock: Clock;
  logger: AgentLogger;
}
