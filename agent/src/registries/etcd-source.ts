import { Etcd3, type IKeyValue, type IWatchResponse, type Watcher } from 'etcd3';
import { SourceUnreachableError } from '../errors.js';
import type { AgentLogger } from '../observability/logger.js';
import type { ServiceSpec } from '../services/service-input.js';
import { serviceKey } from '../services/service-spec.js';
import { parseMicroService } from '../sources/micro-service.js';
import type { RouteSource, SourceWatchHandlers } from '../sources/route-source.js';
import type { SourceConfig } from '../sources/source-url.js';

/** A unary etcd call (a list) gives up after this long; the watch stream has no deadline. */
const CALL_DEADLINE_MS = 3_000;

/**
 * `etcd://host:port[/prefix/]`: go-micro's etcd registry (default prefix `/micro/registry/`, one key per node,
 * the value a go-micro Service JSON), through the etcd3 client (gRPC). A list is one range read of the prefix;
 * the watch starts at the revision after it, so nothing between the two is missed; each watch response becomes
 * one delta. A value that is not a go-micro service is skipped (logged once per key).
 */
export class EtcdSource implements RouteSource {
  readonly kind = 'etcd' as const;
  readonly name: string;
  readonly #prefix: string;
  readonly #exportKey: string | undefined;
  readonly #logger: AgentLogger;
  readonly #client: Etcd3;
  /** What each etcd key gave, and how many keys give each instance (two nodes may share an address). */
  readonly #byKey = new Map<string, ServiceSpec[]>();
  readonly #refs = new Map<string, number>();
  readonly #skipped = new Set<string>();
  #revision = '0';
  #watcher: Watcher | undefined;

  constructor(config: Extract<SourceConfig, { type: 'etcd' }>, logger: AgentLogger) {
    this.name = config.name;
    this.#prefix = config.prefix;
    this.#exportKey = config.exportKey;
    this.#logger = logger;
    this.#client = new Etcd3({
      hosts: config.endpoint,
      dialTimeout: CALL_DEADLINE_MS,
      defaultCallOptions: (context) =>
        context.isStream ? {} : { deadline: new Date(Date.now() + CALL_DEADLINE_MS) },
    });
  }

  async list(): Promise<ServiceSpec[]> {
    let response;
    try {
      response = await this.#client.getAll().prefix(this.#prefix).exec();
    } catch (err) {
      throw new SourceUnreachableError(`etcd at ${this.name}: ${(err as Error).message}`, { cause: err });
    }
    this.#byKey.clear();
    this.#refs.clear();
    for (const kv of response.kvs) this.#put(kv);
    this.#revision = response.header.revision;
    return [...this.#byKey.values()].flat();
  }

  async watch(handlers: SourceWatchHandlers): Promise<void> {
    await this.unwatch();
    let watcher: Watcher;
    try {
      watcher = await this.#client
        .watch()
        .prefix(this.#prefix)
        .startRevision(String(BigInt(this.#revision) + 1n))
        .create();
    } catch (err) {
      throw new SourceUnreachableError(`etcd watch at ${this.name}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    this.#watcher = watcher;
    const broke = (err: Error): void => {
      if (this.#watcher !== watcher) return;
      handlers.error(
        new SourceUnreachableError(`etcd watch at ${this.name}: ${err.message}`, { cause: err }),
      );
    };
    watcher.on('data', (res: IWatchResponse) => {
      if (this.#watcher !== watcher) return;
      const upserts = new Map<string, ServiceSpec>();
      const removes = new Map<string, ServiceSpec>();
      for (const event of res.events) {
        for (const spec of this.#delete(event.kv)) {
          upserts.delete(serviceKey(spec));
          removes.set(serviceKey(spec), spec);
        }
        if (event.type !== 'Put') continue;
        for (const spec of this.#put(event.kv)) {
          removes.delete(serviceKey(spec));
          upserts.set(serviceKey(spec), spec);
        }
      }
      this.#revision = res.header.revision;
      if (upserts.size > 0 || removes.size > 0)
        handlers.change({ type: 'delta', upserts: [...upserts.values()], removes: [...removes.values()] });
    });
    watcher.on('disconnected', broke);
    watcher.on('error', broke);
  }

  async unwatch(): Promise<void> {
    const watcher = this.#watcher;
    this.#watcher = undefined;
    await watcher?.cancel().catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.unwatch();
    this.#client.close();
  }

  /** Records what a key gives; returns its specs. */
  #put(kv: IKeyValue): ServiceSpec[] {
    const key = kv.key.toString();
    const parsed = parseMicroService(kv.value.toString(), this.#exportKey);
    if (!parsed.ok) {
      if (!this.#skipped.has(key))
        this.#logger.warn({ source: this.name, key, reason: parsed.reason }, 'registry key skipped');
      this.#skipped.add(key);
      return [];
    }
    this.#skipped.delete(key);
    this.#byKey.set(key, parsed.specs);
    for (const spec of parsed.specs)
      this.#refs.set(serviceKey(spec), (this.#refs.get(serviceKey(spec)) ?? 0) + 1);
    return parsed.specs;
  }

  /** Forgets what a key gave; returns the instances no other key gives any more. */
  #delete(kv: IKeyValue): ServiceSpec[] {
    const key = kv.key.toString();
    const specs = this.#byKey.get(key) ?? [];
    this.#byKey.delete(key);
    this.#skipped.delete(key);
    return specs.filter((spec) => {
      const left = (this.#refs.get(serviceKey(spec)) ?? 1) - 1;
      if (left > 0) this.#refs.set(serviceKey(spec), left);
      else this.#refs.delete(serviceKey(spec));
      return left <= 0;
    });
  }
}
