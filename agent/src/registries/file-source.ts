import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { systemClock, type Clock } from '@tether/shared';
import { SourceUnreachableError } from '../errors.js';
import type { AgentLogger } from '../observability/logger.js';
import type { ServiceSpec } from '../services/service-input.js';
import type { RouteSource, SourceWatchHandlers } from '../sources/route-source.js';
import { parseServicesFile } from '../sources/services-file.js';
import type { SourceConfig } from '../sources/source-url.js';

/** File events this close together are read once (an editor's write, truncate, rename). */
const SETTLE_MS = 25;

/**
 * `file:///path/services.yaml`: a YAML or JSON list of services, watched. The directory is watched, not the file,
 * so a file replaced by rename (what editors and config tools do) is followed. A bad edit is logged with the
 * field path and the last good list stays; a missing or unreadable file makes the source unreachable.
 */
export class FileSource implements RouteSource {
  readonly kind = 'file' as const;
  readonly name: string;
  readonly #file: string;
  readonly #exportKey: string | undefined;
  readonly #logger: AgentLogger;
  readonly #clock: Clock;
  #lastGood: ServiceSpec[] | undefined;
  #lastText: string | undefined;
  #watcher: FSWatcher | undefined;
  #timer: unknown;

  constructor(
    config: Extract<SourceConfig, { type: 'file' }>,
    logger: AgentLogger,
    clock: Clock = systemClock,
  ) {
    this.name = config.name;
    this.#file = path.resolve(config.path);
    this.#exportKey = config.exportKey;
    this.#logger = logger;
    this.#clock = clock;
  }

  async list(): Promise<ServiceSpec[]> {
    const specs = await this.#read();
    if (specs === undefined) {
      if (this.#lastGood) return this.#lastGood;
      throw new SourceUnreachableError(`services file ${this.#file} is invalid (see the log): fix it`);
    }
    return specs;
  }

  async watch(handlers: SourceWatchHandlers): Promise<void> {
    await this.unwatch();
    const base = path.basename(this.#file);
    const watcher = watch(path.dirname(this.#file), { persistent: false }, (_event, name) => {
      if (name !== null && name !== base) return;
      if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
      this.#timer = this.#clock.setTimeout(() => {
        this.#timer = undefined;
        this.#read().then(
          (specs) => {
            if (specs !== undefined && this.#watcher === watcher) handlers.change({ type: 'reset', specs });
          },
          (err: Error) => handlers.error(err),
        );
      }, SETTLE_MS);
    });
    watcher.on('error', (err) =>
      handlers.error(new SourceUnreachableError(`watching ${this.#file}: ${err.message}`)),
    );
    this.#watcher = watcher;
  }

  unwatch(): Promise<void> {
    this.#watcher?.close();
    this.#watcher = undefined;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    return Promise.resolve();
  }

  close(): Promise<void> {
    return this.unwatch();
  }

  /** The file's services; undefined (logged) when its content is invalid; throws when it cannot be read. */
  async #read(): Promise<ServiceSpec[] | undefined> {
    let text: string;
    try {
      text = await readFile(this.#file, 'utf8');
    } catch (err) {
      throw new SourceUnreachableError(`cannot read services file ${this.#file}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (text === this.#lastText && this.#lastGood) return this.#lastGood;
    const parsed = parseServicesFile(text, this.#exportKey);
    if (!parsed.ok) {
      if (text !== this.#lastText)
        this.#logger.warn(
          { source: this.name, err: parsed.error },
          `invalid services file ${this.#file}: ${parsed.error}; the last good list stays until it is fixed`,
        );
      this.#lastText = text;
      return undefined;
    }
    this.#lastText = text;
    this.#lastGood = parsed.specs;
    return parsed.specs;
  }
}
