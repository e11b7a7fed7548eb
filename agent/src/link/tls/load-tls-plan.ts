import { readFile } from 'node:fs/promises';
import { ConfigError } from '../../errors.js';
import type { TlsSettings } from './tls-plan.js';
import type { AgentLogger } from '../../observability/logger.js';
import { buildTlsPlan, type TlsPlan } from './tls-plan.js';

const SECURE = new Set(['mqtts:', 'wss:', 'https:']);

/**
 * Reads the CA file (if any) and builds the plan for `url`. Warns on every start when verification is off
 * (`--insecure`), and when TLS settings are given for a plain URL (where they do nothing).
 */
export async function loadTlsPlan(
  settings: Partial<TlsSettings> | undefined,
  url: string,
  logger: Pick<AgentLogger, 'warn'>,
): Promise<TlsPlan> {
  let ca = settings?.ca;
  if (settings?.caFile) {
    try {
      ca = await readFile(settings.caFile, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read --ca-file ${settings.caFile}: ${(err as Error).message}`);
    }
  }
  const plan = buildTlsPlan({ ca, fingerprint: settings?.fingerprint, insecure: settings?.insecure });
  const secure = SECURE.has(new URL(url).protocol);
  if (plan.mode === 'insecure')
    logger.warn(
      { insecure: true },
      "TLS verification is OFF (--insecure): anyone on the path can impersonate the control plane and take this agent's secret; use it for local experiments only",
    );
  else if (!secure && plan.mode !== 'system')
    logger.warn({ url }, 'TLS settings ignored: the control plane URL is not mqtts://, wss:// or https://');
  return plan;
}
