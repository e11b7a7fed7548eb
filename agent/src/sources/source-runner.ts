import { backoffDelay, type BackoffOptions, type Clock } from '@tether/shared';
import type { AgentLogger } from '../observability/logger.js';
import type { ServiceSpec } from '../services/service-input.js';
import { serviceKey } from '../services/service-spec.js';
import type { RouteSource, SourceChange } from './route-source.js';
import type { SourceTiming } from './source-url.js';

/** Where a runner puts what its source lists and sees (the ServiceRegistry). */
export interface SourceSink {
  replace(source: string, specs: readonly ServiceSpec[]): void;
  apply(source: string, upserts: readonly ServiceSpec[], removes: readonly ServiceSpec[]): void;
  setStale(source: string, at: number | null): void;
}

/** `synced`: listed and watching; `unreachable`: within the grace; `stale`: past it. */
export type SourcePhase = 'starting' | 'synced' | 'unreachable' | 'stale' | 'closed';

/** A source as `GET /v1/status` shows it. */
export interface SourceStatus {
  name: string;
  kind: RouteSource['kind'];
  phase: SourcePhase;
  /** Instances it holds now (kept while unreachable). */
  instances: number;
  lastSyncAt: number | null;
  unreachableSince: number | null;
  lastError: string | null;
  /** Full lists done (the first one included). */
  lists: number;
}

/** Options of a SourceRunner. */
export interface SourceRunnerOptions {
  source: RouteSource;
  sink: SourceSink;
  /** Resync interval (0: never) and grace. */
  timing: SourceTiming;
  clock: Clock;
  logger: AgentLogger;
  /** Retries after a failure (default 0.5 s doubling to 30 s, jittered). */
  backoff?: BackoffOptions;
  random?: () => number;
}

/** Retry backoff of a failing source: 0.5 s doubling to 30 s. */
export const SOURCE_BACKOFF: BackoffOptions = { baseMs: 500, capMs: 30_000 };
/** A watch that lived this long before it broke starts the backoff from the beginning again. */
const HEALTHY_WATCH_MS = 10_000;

/**
 * Runs one source the way go-micro's router ran its registry, with bounds: list, then watch; a full list again
 * every `resyncMs` (it prunes what the watch missed); on any failure the watch stops and lists are retried with
 * jittered backoff (a flapping registry cannot make it list in a loop). While the registry is unreachable its
 * last instances stay active for `graceMs`, then go stale; the next successful list makes them current again.
 */
export class SourceRunner {
  readonly #opts: SourceRunnerOptions;
  readonly #name: string;
  #phase: SourcePhase = 'starting';
  #watching = false;
  #watchSince = 0;
  #busy = false;
  #attempt = 0;
  #timer: unknown;
  #graceTimer: unknown;
  readonly #keys = new Set<string>();
  #lastSyncAt: number | null = null;
  #unreachableSince: number | null = null;
  #lastError: string | null = null;
  #lists = 0;

  constructor(options: SourceRunnerOptions) {
    this.#opts = options;
    this.#name = options.source.name;
  }

  /** The source's status now. */
  get status(): SourceStatus {
    return {
      name: this.#name,
      kind: this.#opts.source.kind,
      phase: this.#phase,
      instances: this.#keys.size,
      lastSyncAt: this.#lastSyncAt,
      unreachableSince: this.#unreachableSince,
      lastError: this.#lastError,
      lists: this.#lists,
    };
  }

  /** The first list and watch; resolves after the first attempt, whether or not the registry answered. */
  start(): Promise<void> {
    return this.#sync();
  }

  /** Stops timers and the watch and closes the source. */
  async close(): Promise<void> {
    this.#phase = 'closed';
    this.#clearTimer();
    if (this.#graceTimer !== undefined) this.#opts.clock.clearTimeout(this.#graceTimer);
    this.#graceTimer = undefined;
    this.#watching = false;
    await this.#opts.source.close().catch(() => undefined);
  }

  get #closed(): boolean {
    return this.#phase === 'closed';
  }

  /** A full list, then a watch if none runs; on failure, the retry and grace timers. */
  async #sync(): Promise<void> {
    if (this.#phase === 'closed' || this.#busy) return;
    this.#busy = true;
    this.#clearTimer();
    try {
      const specs = await this.#opts.source.list();
      if (this.#closed) return;
      this.#lists++;
      this.#replace(specs);
      this.#lastSyncAt = this.#opts.clock.now();
      if (!this.#watching) {
        await this.#opts.source.watch({
          change: (change) => this.#onChange(change),
          error: (err) => this.#failed(err),
        });
        this.#watching = true;
        this.#watchSince = this.#opts.clock.now();
      }
      this.#recovered();
      this.#schedule(this.#opts.timing.resyncMs);
    } catch (err) {
      this.#busy = false;
      this.#failed(err as Error);
    } finally {
      this.#busy = false;
    }
  }

  #onChange(change: SourceChange): void {
    if (this.#phase === 'closed') return;
    const { sink } = this.#opts;
    switch (change.type) {
      case 'delta':
        sink.apply(this.#name, change.upserts, change.removes);
        for (const spec of change.removes) this.#keys.delete(serviceKey(spec));
        for (const spec of change.upserts) this.#keys.add(serviceKey(spec));
        return;
      case 'reset':
        this.#replace(change.specs);
        this.#lastSyncAt = this.#opts.clock.now();
        return;
    }
  }

  #replace(specs: readonly ServiceSpec[]): void {
    this.#opts.sink.replace(this.#name, specs);
    this.#keys.clear();
    for (const spec of specs) this.#keys.add(serviceKey(spec));
  }

  #failed(err: Error): void {
    if (this.#phase === 'closed') return;
    if (this.#busy) {
      // A watch broke while a list runs: the list decides (it watches anew, or fails and lands here).
      this.#watching = false;
      void this.#opts.source.unwatch().catch(() => undefined);
      return;
    }
    const { clock, logger, timing } = this.#opts;
    const now = clock.now();
    this.#lastError = err.message;
    if (this.#watching) {
      this.#watching = false;
      if (now - this.#watchSince >= HEALTHY_WATCH_MS) this.#attempt = 0;
      void this.#opts.source.unwatch().catch(() => undefined);
    }
    if (this.#unreachableSince === null) {
      this.#unreachableSince = now;
      this.#phase = 'unreachable';
      logger.warn(
        { source: this.#name, err: err.message, graceMs: timing.graceMs },
        'service registry unreachable: its routes are kept for the grace period',
      );
      this.#graceTimer = clock.setTimeout(() => this.#expire(), timing.graceMs);
    } else logger.debug({ source: this.#name, err: err.message }, 'service registry still unreachable');
    this.#schedule(backoffDelay(this.#attempt++, this.#opts.backoff ?? SOURCE_BACKOFF, this.#opts.random));
  }

  #expire(): void {
    this.#graceTimer = undefined;
    if (this.#unreachableSince === null || this.#phase === 'closed') return;
    const at = this.#unreachableSince + this.#opts.timing.graceMs;
    this.#phase = 'stale';
    this.#opts.sink.setStale(this.#name, at);
    this.#opts.logger.warn(
      { source: this.#name, instances: this.#keys.size },
      'service registry unreachable past the grace: its routes are stale and no longer advertised',
    );
  }

  #recovered(): void {
    this.#phase = 'synced';
    if (this.#unreachableSince === null) return;
    this.#opts.logger.info({ source: this.#name }, 'service registry reachable again');
    this.#unreachableSince = null;
    this.#lastError = null;
    if (this.#graceTimer !== undefined) this.#opts.clock.clearTimeout(this.#graceTimer);
    this.#graceTimer = undefined;
    this.#opts.sink.setStale(this.#name, null);
  }

  #schedule(ms: number): void {
    this.#clearTimer();
    if (ms <= 0 || this.#phase === 'closed') return;
    this.#timer = this.#opts.clock.setTimeout(() => {
      this.#timer = undefined;
      void this.#sync();
    }, ms);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#opts.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
