import type { Registry } from 'prom-client';
import { TurnEndWork } from '@tether/shared';
import type { AgentMetricsSources, CallDirection, PromMetrics } from './prom-metrics.js';

export type { AgentMetricsSources, CallDirection, ConnectionFigures } from './prom-metrics.js';

/** Records kept while prom-client loads (one event-loop turn or so); beyond, the oldest are dropped. */
const MAX_QUEUED = 10_000;

/**
 * The agent's metrics (`GET /metrics` on its API port). prom-client and the registry are loaded on the first
 * scrape or the first thing only a metric records (a call, a refused request): an agent nobody scrapes does not
 * carry them (pnpm bench:footprint). Running totals (reports accepted) are plain numbers read at scrape time.
 */
export class AgentMetrics {
  readonly #sources: AgentMetricsSources;
  readonly #extensions: ((registry: Registry) => Promise<void>)[] = [];
  readonly #queued: ((m: PromMetrics) => void)[] = [];
  #reportsAccepted = 0;
  readonly #streamBytes = { up: 0, down: 0 };
  #prom: PromMetrics | undefined;
  #loading: Promise<PromMetrics> | undefined;
  /** Where a call's series are recorded: at the end of the turn, after its answer left. */
  readonly #later: TurnEndWork;

  constructor(sources: AgentMetricsSources, later = new TurnEndWork()) {
    this.#later = later;
    this.#sources = {
      ...sources,
      reportsAccepted: () => this.#reportsAccepted,
      streamBytes: () => this.#streamBytes,
    };
  }

  /** Stream bytes through the tunnel: `up` (sent to the hub) or `down` (a plain total, read at scrape time). */
  streamBytes(direction: 'up' | 'down', count: number): void {
    this.#streamBytes[direction] += count;
  }

  /** A stream open refused, by error code (counted once, by the process that refused or first saw it). */
  streamRefused(reason: string): void {
    this.#record((m) => m.streamsRefused.inc({ reason }));
  }

  /** Reports accepted into the outbox (202). */
  reportsAccepted(count: number): void {
    this.#reportsAccepted += count;
  }

  /** A local API request refused before any route ran: `screen` (Host, Origin) or `token`. */
  apiRefused(reason: string): void {
    this.#record((m) => m.apiRefusals.inc({ reason }));
  }

  /** A call starts; the returned function (idempotent) records its final HTTP status (its duration at once). */
  beginCall(direction: CallDirection, service: string, now: () => number): (status: number) => void {
    const started = now();
    let done = false;
    return (status) => {
      if (done) return;
      done = true;
      const seconds = Math.max(0, now() - started) / 1000;
      this.#later.add(() => this.#record((m) => m.callDone(direction, service, status, seconds)));
    };
  }

  /** Gauges of a part opened after the metrics read it from now on. */
  readFrom(sources: Partial<AgentMetricsSources>): void {
    Object.assign(this.#sources, sources);
  }

  /** More metrics, registered when the registry is made (their module should be loaded lazily too). */
  extend(register: (registry: Registry) => Promise<void>): void {
    this.#extensions.push(register);
    if (this.#prom) void register(this.#prom.registry);
  }

  /** The Prometheus exposition of every metric. */
  async exposition(): Promise<{ body: string; contentType: string }> {
    const prom = await this.#load();
    return { body: await prom.registry.metrics(), contentType: prom.registry.contentType };
  }

  #record(apply: (m: PromMetrics) => void): void {
    if (this.#prom) return apply(this.#prom);
    if (this.#queued.length >= MAX_QUEUED) this.#queued.shift();
    this.#queued.push(apply);
    void this.#load();
  }

  #load(): Promise<PromMetrics> {
    this.#loading ??= import('./prom-metrics.js').then(async ({ PromMetrics }) => {
      const prom = new PromMetrics(this.#sources);
      await Promise.all(this.#extensions.map((register) => register(prom.registry)));
      for (const apply of this.#queued.splice(0)) apply(prom);
      this.#prom = prom;
      return prom;
    });
    return this.#loading;
  }
}
