import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** The file in the data dir where `serve` records its API's URL, for the grants `grant create` prints. */
export const API_URL_FILE = 'api-url';

/** The URL agents enroll at: the HTTP(S) listener, by this machine's name when it listens on every address. */
export function apiUrlOf(httpHost: string, port: number, tls: boolean): string {
  const wildcard = httpHost === '0.0.0.0' || httpHost === '::' || httpHost === '';
  const host = wildcard ? hostname() : httpHost.includes(':') ? `[${httpHost}]` : httpHost;
  return `${tls ? 'https' : 'http'}://${host}:${port}`;
}

/** Records the API URL (temp file and rename: a reader never sees half of it). */
export function recordApiUrl(dataDir: string, url: string): void {
  const file = join(dataDir, API_URL_FILE);
  writeFileSync(`${file}.tmp`, `${url}\n`, { mode: 0o644 });
  renameSync(`${file}.tmp`, file);
}

/** The API URL `serve` last recorded in the data dir, if it ever ran there. */
export function recordedApiUrl(dataDir: string): string | undefined {
  try {
    return readFileSync(join(dataDir, API_URL_FILE), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
