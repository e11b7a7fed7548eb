import { connect } from 'node:net';
import { systemClock, tcpEndpoint, type Clock } from '@tether/shared';
import type { HealthCheckSpec } from './service-input.js';
import type { AgentLogger } from '../observability/logger.js';

/** Options of a HealthChecker. */
export interface HealthCheckerOptions {
  logger: AgentLogger;
  clock?: Clock;
  /** The HTTP client (default global fetch). */
  fetch?: typeof fetch;
}

interface Watch {
  url: string;
  spec: HealthCheckSpec;
  onChange: (healthy: boolean) => void;
  failures: number;
  healthy: boolean;
  timer: unknown;
  stopped: boolean;
}

/**
 * Probes local services: GET url+path every interval with a timeout, a 2xx/3xx answer is a success; a `tcp://`
 * service by connecting to it, a connection accepted within the timeout is a success.
 * After `unhealthyThreshold` consecutive failures the service is reported unhealthy; the next success reports it
 * healthy again. Only changes are reported.
 */
export class HealthChecker {
  readonly #opts: HealthCheckerOptions;
  readonly #clock: Clock;
  readonly #watches = new Map<string, Watch>();

  constructor(options: HealthCheckerOptions) {
    this.#opts = options;
    this.#clock = options.clock ?? systemClock;
  }

  /** Starts probing `url` under `key` (replacing an earlier watch of that key); the first probe runs at once. */
  watch(key: string, url: string, spec: HealthCheckSpec, onChange: (healthy: boolean) => void): void {
    this.unwatch(key);
    const watch: Watch = {
      url,
      spec,
      onChange,
      failures: 0,
      healthy: true,
      timer: undefined,
      stopped: false,
    };
    this.#watches.set(key, watch);
    void this.#probe(key, watch);
  }

  /** Stops probing `key`. */
  unwatch(key: string): void {
    const watch = this.#watches.get(key);
    if (!watch) return;
    watch.stopped = true;
    if (watch.timer !== undefined) this.#clock.clearTimeout(watch.timer);
    this.#watches.delete(key);
  }

  /** Stops every probe. */
  stopAll(): void {
    for (const key of [...this.#watches.keys()]) this.unwatch(key);
  }

  async #probe(key: string, watch: Watch): Promise<void> {
    const ok = await this.#check(watch);
    if (watch.stopped) return;
    if (ok) {
      watch.failures = 0;
      if (!watch.healthy) {
        watch.healthy = true;
        this.#opts.logger.info({ service: key }, 'service healthy again');
        watch.onChange(true);
      }
    } else {
      watch.failures++;
      if (watch.healthy && watch.failures >= watch.spec.unhealthyThreshold) {
        watch.healthy = false;
        this.#opts.logger.warn({ service: key, failures: watch.failures }, 'service unhealthy: withdrawn');
        watch.onChange(false);
      }
    }
    if (watch.stopped) return;
    watch.timer = this.#clock.setTimeout(() => {
      watch.timer = undefined;
      void this.#probe(key, watch);
    }, watch.spec.intervalMs);
  }

  async #check(watch: Watch): Promise<boolean> {
    if (watch.url.startsWith('tcp:')) return this.#connects(watch);
    const controller = new AbortController();
    const timer = this.#clock.setTimeout(() => controller.abort(), watch.spec.timeoutMs);
    try {
      const url = watch.url.replace(/\/+$/, '') + watch.spec.path;
      const res = await (this.#opts.fetch ?? fetch)(url, { signal: controller.signal, redirect: 'manual' });
      await res.body?.cancel().catch(() => undefined);
      return res.status >= 200 && res.status < 400;
    } catch (err) {
      this.#opts.logger.debug({ url: watch.url, err: (err as Error).message }, 'health check failed');
      return false;
    } finally {
      this.#clock.clearTimeout(timer);
    }
  }

  /** True when a TCP connection to the service is accepted within the timeout (then closed at once). */
  #connects(watch: Watch): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = connect(tcpEndpoint(watch.url));
      const done = (ok: boolean): void => {
        this.#clock.clearTimeout(timer);
        socket.destroy();
        resolve(ok);
      };
      const timer = this.#clock.setTimeout(() => done(false), watch.spec.timeoutMs);
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
    });
  }
}
