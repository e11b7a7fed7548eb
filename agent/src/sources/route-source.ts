import type { RouteSource as RouteSourceKind } from '@tether/shared';
import type { ServiceSpec } from '../services/service-input.js';

/** What a watch saw: instances added or changed and instances gone, or the whole set anew (a file rewritten). */
export type SourceChange =
  { type: 'delta'; upserts: ServiceSpec[]; removes: ServiceSpec[] } | { type: 'reset'; specs: ServiceSpec[] };

/** Where a watch reports to. */
export interface SourceWatchHandlers {
  change(change: SourceChange): void;
  /** The watch broke (the registry went away): the runner lists again, with backoff, and watches anew. */
  error(err: Error): void;
}

/**
 * A place a site keeps its services (static flags and config, the local API, a file, etcd, the mDNS link). The
 * agent lists it at start and on a timer (a full resync that prunes what is gone) and watches it in between.
 * Every spec a source gives has `source` set to its kind. A source never touches the route table itself: a
 * SourceRunner feeds what it lists and sees into the ServiceRegistry.
 */
export interface RouteSource {
  readonly kind: RouteSourceKind;
  /** How logs and the API name it (its URL, credentials redacted). */
  readonly name: string;
  /** Everything the registry holds now; rejects with SourceUnreachableError when it cannot be read. */
  list(): Promise<ServiceSpec[]>;
  /** Follows changes after the last `list` until `unwatch`; resolves once the watch is set up. */
  watch(handlers: SourceWatchHandlers): Promise<void>;
  /** Stops following changes (a later `watch` starts again). */
  unwatch(): Promise<void>;
  /** Releases the client (sockets, timers). */
  close(): Promise<void>;
}
