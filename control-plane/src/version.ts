import { createRequire } from 'node:module';

/** The control plane's package version: it accepts agents of its minor and one minor behind (acceptedAgentVersions). */
export const CONTROL_PLANE_VERSION: string = readPackageVersion();

function readPackageVersion(): string {
  try {
    const pkg = createRequire(import.meta.url)('../package.json') as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}
