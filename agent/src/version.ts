import { createRequire } from 'node:module';

// Defined by the bundler (scripts/bundle.js); absent when running from dist/ or src/.
declare const __TETHER_AGENT_VERSION__: string | undefined;

/** The agent's package version, reported in its status messages. */
export const AGENT_VERSION: string =
  typeof __TETHER_AGENT_VERSION__ === 'string' ? __TETHER_AGENT_VERSION__ : readPackageVersion();

function readPackageVersion(): string {
  try {
    const pkg = createRequire(import.meta.url)('../package.json') as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}
