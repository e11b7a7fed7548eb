import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { formatZodError } from '@tether/shared';
import { ServiceInputSchema, type ServiceSpec } from './service-input.js';
import { writeFileAtomic } from '../state/atomic-write.js';
import type { AgentLogger } from '../observability/logger.js';
import { toServiceInput, toServiceSpec } from './service-spec.js';

/** The file, inside the state dir, holding services added through the API. */
export const SERVICES_FILE = 'services.json';

const ServicesFileSchema = z.strictObject({ v: z.literal(1), services: z.array(ServiceInputSchema) });

/** Persists the services added through the local API, so they come back after a restart. */
export class ServiceStore {
  readonly #file: string;
  readonly #logger: AgentLogger;
  #writing: Promise<void> = Promise.resolve();

  constructor(stateDir: string, logger: AgentLogger) {
    this.#file = path.join(stateDir, SERVICES_FILE);
    this.#logger = logger;
  }

  /** The API services saved last time (none when the file is missing or invalid). */
  async load(): Promise<ServiceSpec[]> {
    let text: string;
    try {
      text = await readFile(this.#file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        this.#logger.warn({ err: (err as Error).message }, 'cannot read services file');
      return [];
    }
    try {
      const parsed = ServicesFileSchema.safeParse(JSON.parse(text));
      if (parsed.success) return parsed.data.services.map((s) => toServiceSpec(s, 'api'));
      this.#logger.warn(
        { file: this.#file, err: formatZodError(parsed.error) },
        'services file is invalid; ignored',
      );
    } catch (err) {
      this.#logger.warn(
        { file: this.#file, err: (err as Error).message },
        'services file is not JSON; ignored',
      );
    }
    return [];
  }

  /** Saves the API services (writes are serialized and atomic). */
  save(services: readonly ServiceSpec[]): Promise<void> {
    const data = JSON.stringify({ v: 1, services: services.map(toServiceInput) }, null, 1);
    this.#writing = this.#writing.catch(() => undefined).then(() => writeFileAtomic(this.#file, data));
    return this.#writing;
  }
}
