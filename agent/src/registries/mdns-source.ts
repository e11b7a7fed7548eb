import type { EventEmitter } from 'node:events';
import { Bonjour, type Browser, type Service } from 'bonjour-service';
import { systemClock, type Clock } from '@tether/shared';
import { SourceUnreachableError } from '../errors.js';
import type { AgentLogger } from '../observability/logger.js';
import type { ServiceSpec } from '../services/service-input.js';
import { serviceKey } from '../services/service-spec.js';
import { dnsSdSpec } from '../sources/dns-sd-instance.js';
import type { RouteSource, SourceWatchHandlers } from '../sources/route-source.js';
import type { SourceConfig } from '../sources/source-url.js';

/** Lists in a row an instance may miss before it is pruned (mDNS is lossy; an announcer may still be probing). */
const MISSES_TO_PRUNE = 3;

/**
 * `mdns://?type=_http._tcp`: DNS-SD on the local link (bonjour-service over multicast-dns), so whatever announces
 * there (avahi, Bonjour, ciao) joins. A list is a fresh PTR query whose answers are gathered for `window`; the
 * watch follows announcements and goodbyes. An instance that leaves without a goodbye is pruned once it missed
 * three resyncs in a row (one miss is normal: an announcer still probing, a lost packet); a resync that no one
 * answers, while instances are known, means the link is gone (unreachable: they are kept for the grace, then
 * stale).
 */
export class MdnsSource implements RouteSource {
  readonly kind = 'mdns' as const;
  readonly name: string;
  readonly #type: string;
  readonly #scheme: 'http' | 'https';
  readonly #exportKey: string | undefined;
  readonly #windowMs: number;
  readonly #logger: AgentLogger;
  readonly #clock: Clock;
  readonly #bonjour: Bonjour;
  #socketError: Error | undefined;
  /** Instances known by fqdn (from lists and announcements), with how many lists in a row missed each. */
  readonly #known = new Map<string, { spec: ServiceSpec; misses: number }>();
  #watch: Browser | undefined;
  #handlers: SourceWatchHandlers | undefined;

  constructor(
    config: Extract<SourceConfig, { type: 'mdns' }>,
    logger: AgentLogger,
    clock: Clock = systemClock,
  ) {
    this.name = config.name;
    const [type = 'http', protocol = 'tcp'] = config.serviceType.split('.').map((p) => p.replace(/^_/, ''));
    this.#type = type;
    this.#scheme = type === 'https' ? 'https' : 'http';
    if (protocol !== 'tcp')
      logger.warn({ source: this.name }, 'a DNS-SD type over udp: calls still use HTTP');
    this.#exportKey = config.exportKey;
    this.#windowMs = config.windowMs;
    this.#logger = logger;
    this.#clock = clock;
    this.#bonjour = new Bonjour({}, (err: Error) => this.#onSocketError(err));
    // multicast-dns emits 'error' (bind refused) on its socket; unheard, it would end the process.
    const mdns = (this.#bonjour as unknown as { server?: { mdns?: EventEmitter } }).server?.mdns;
    mdns?.on('error', (err: Error) => this.#onSocketError(err));
  }

  async list(): Promise<ServiceSpec[]> {
    if (this.#socketError) throw new SourceUnreachableError(`mDNS socket: ${this.#socketError.message}`);
    const browser = this.#bonjour.find({ type: this.#type, protocol: 'tcp' });
    await new Promise<void>((resolve) => this.#clock.setTimeout(resolve, this.#windowMs));
    const found = browser.services;
    browser.stop();
    const answers = this.#specs(found);
    if (answers.size === 0 && this.#known.size > 0)
      throw new SourceUnreachableError(
        `no DNS-SD announcer answered a ${this.#type} query on the link (${this.#known.size} instance(s) known)`,
      );
    for (const [fqdn, entry] of this.#known)
      if (!answers.has(fqdn) && ++entry.misses >= MISSES_TO_PRUNE) this.#known.delete(fqdn);
    for (const [fqdn, spec] of answers) this.#known.set(fqdn, { spec, misses: 0 });
    // A fresh watch browser: the old one would never announce again an instance this list pruned.
    if (this.#handlers) this.#follow(this.#handlers);
    return [...this.#known.values()].map((e) => e.spec);
  }

  watch(handlers: SourceWatchHandlers): Promise<void> {
    this.#handlers = handlers;
    this.#follow(handlers);
    return Promise.resolve();
  }

  #follow(handlers: SourceWatchHandlers): void {
    this.#watch?.stop();
    const browser = this.#bonjour.find({ type: this.#type, protocol: 'tcp' });
    this.#watch = browser;
    const update = (service: Service, gone: boolean): void => {
      if (this.#watch !== browser) return;
      const fqdn = service.fqdn;
      const before = this.#known.get(fqdn)?.spec;
      const after = gone ? undefined : this.#spec(service);
      if (after) this.#known.set(fqdn, { spec: after, misses: 0 });
      else this.#known.delete(fqdn);
      const removes = before && (!after || serviceKey(before) !== serviceKey(after)) ? [before] : [];
      if (after || removes.length > 0)
        handlers.change({ type: 'delta', upserts: after ? [after] : [], removes });
    };
    browser.on('up', (s: Service) => update(s, false));
    browser.on('srv-update', (s: Service) => update(s, false));
    browser.on('txt-update', (s: Service) => update(s, false));
    browser.on('down', (s: Service) => update(s, true));
  }

  unwatch(): Promise<void> {
    this.#handlers = undefined;
    this.#watch?.stop();
    this.#watch = undefined;
    return Promise.resolve();
  }

  async close(): Promise<void> {
    await this.unwatch();
    await new Promise<void>((resolve) => this.#bonjour.destroy(() => resolve()));
  }

  #onSocketError(err: Error): void {
    this.#socketError = err;
    this.#logger.warn({ source: this.name, err: err.message }, 'mDNS socket error');
  }

  #spec(service: Service): ServiceSpec | undefined {
    return dnsSdSpec(
      {
        name: service.name,
        port: service.port,
        ...(service.addresses ? { addresses: service.addresses } : {}),
        ...(service.referer ? { referer: service.referer } : {}),
        ...(service.txt ? { txt: service.txt as Record<string, unknown> } : {}),
      },
      this.#scheme,
      this.#exportKey,
    );
  }

  #specs(services: readonly Service[]): Map<string, ServiceSpec> {
    const specs = new Map<string, ServiceSpec>();
    for (const service of services) {
      const spec = this.#spec(service);
      if (spec) specs.set(service.fqdn, spec);
    }
    return specs;
  }
}
