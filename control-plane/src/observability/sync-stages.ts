import { Counter, type Registry } from 'prom-client';

/**
 * The stages of an agent's (re)connect, in the order they happen: the socket admitted, CONNECT authenticated, the
 * connection recorded, the inbox subscribed, the retained status handled, the advert validated, the snapshot's routes
 * accepted, the group commit (SQLite, one fsync for many agents), the events emitted after it, the
 * `agent-routes` answer, and the disconnect when it goes.
 */
export const SYNC_STAGES = [
  'admission',
  'authenticate',
  'connect',
  'subscribe',
  'status',
  'decode',
  'snapshot',
  'commit',
  'events',
  'answer',
  'disconnect',
] as const;

/** One stage of the connect path. */
export type SyncStage = (typeof SYNC_STAGES)[number];

/** How a resume (protocol 3) ended: in sync (no snapshot either way), or the agent asked for a snapshot. */
export type ResumeOutcome = 'in-sync' | 'resync' | 'dropped';

/**
 * Per-stage counters of the connect path: event-loop time spent in each stage and how often it ran
 * (`tether_sync_stage_seconds_total{stage}`, `tether_sync_stage_runs_total{stage}`), so a reconnect storm shows
 * where each connection's time goes. Only synchronous sections are timed: the event loop is what they cost.
 */
export class SyncStages {
  readonly #seconds: Counter<'stage'>;
  readonly #runs: Counter<'stage'>;
  readonly #resumes: Counter<'outcome'>;

  constructor(registry: Registry) {
    this.#seconds = new Counter({
      name: 'tether_sync_stage_seconds_total',
      help: 'Event-loop time spent in each stage of agent connects and syncs',
      labelNames: ['stage'],
      registers: [registry],
    });
    this.#runs = new Counter({
      name: 'tether_sync_stage_runs_total',
      help: 'Runs of each stage of agent connects and syncs (a group commit is one run for many agents)',
      labelNames: ['stage'],
      registers: [registry],
    });
    this.#resumes = new Counter({
      name: 'tether_resumes_total',
      help: 'Agents back after a reconnect that resumed (protocol 3), by outcome: in-sync, resync, or dropped (the agent disconnected or was revoked before the commit)',
      labelNames: ['outcome'],
      registers: [registry],
    });
  }

  /** Counts one resume by its outcome. */
  resumed(outcome: ResumeOutcome): void {
    this.#resumes.inc({ outcome });
  }

  /** Runs `fn` and adds its duration to `stage`; returns what `fn` returned (or throws what it threw). */
  time<T>(stage: SyncStage, fn: () => T): T {
    const started = performance.now();
    try {
      return fn();
    } finally {
      this.add(stage, performance.now() - started);
    }
  }

  /** Adds `ms` of work (measured elsewhere) to `stage`, as one run. */
  add(stage: SyncStage, ms: number): void {
    this.#seconds.inc({ stage }, ms / 1000);
    this.#runs.inc({ stage });
  }
}
