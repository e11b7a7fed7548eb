/** What each phase of bench:scale is given. */
import type { ChildProcess } from 'node:child_process';
import type { ControlPlane } from '../helpers/tether.js';

/** What a phase of bench:scale is given: the run's settings and how it makes agents and simulators. */
export interface ScaleRun {
  agents: number;
  services: number;
  /** Simulator processes. */
  workers: number;
  /** The reconnect jitter every simulated agent draws from. */
  spreadMs: number;
  /** Profiles are written (`--profile`): the profiled process ends with SIGTERM, not kill -9. */
  profiled: boolean;
  /** The measured control plane's node flags. */
  nodeArgs: string[];
  /** The single control plane's config: its limits (raw capacity). */
  limits: {
    limits: {
      connectRate: { perSecond: number; burst: number };
      admissionRate?: { perSecond: number; burst: number };
      connectsInFlight?: { max: number };
    };
  };
  /** The restarted control plane's config (`--storm-limits`). */
  stormLimits: { limits: Partial<ScaleRun['limits']['limits']> };
  /** Prints the restart storm's progress every 5 s. */
  trace: boolean;
  createAgents(cp: ControlPlane, prefix: string): Promise<{ id: string; secret: string }[]>;
  forkWorkers(): ChildProcess[];
}
