import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { parseDuration, ValidationError } from '@tether/shared';
import { recordedApiUrl } from './api-url-file.js';
import { BOOTSTRAP_TOKEN_FILE } from '../auth/bootstrap-token.js';

/** The flags of `tether-cp agents upgrade`. */
export interface UpgradeFlags {
  dataDir: string;
  file: string;
  agents?: string;
  canary?: string;
  maxFailures?: string;
  deadline?: string;
  url?: string;
  token?: string;
}

/**
 * `tether-cp agents upgrade --file AGENT`: sends the build to the running control plane's API
 * (`POST /api/v1/upgrades`, streamed from the file) with the data dir's API URL and admin token (or --url,
 * --token / TETHER_TOKEN), and prints the rollout it started; `GET /api/v1/upgrades/ID` follows it.
 */
export async function upgradeAgents(
  flags: UpgradeFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  if (!existsSync(flags.file))
    throw new ValidationError(`--file ${flags.file}: no such file (the agent build to send)`);
  const url = flags.url ?? recordedApiUrl(flags.dataDir);
  if (url === undefined)
    throw new ValidationError(
      `no API URL: "tether-cp serve" has not run with --data-dir ${flags.dataDir}; pass --url http(s)://HOST:PORT`,
    );
  const token = flags.token ?? env.TETHER_TOKEN ?? readToken(flags.dataDir);
  const query = new URLSearchParams();
  if (flags.agents !== undefined) query.set('agents', flags.agents);
  if (flags.canary !== undefined) query.set('canary', flags.canary);
  if (flags.maxFailures !== undefined) query.set('maxFailures', flags.maxFailures);
  if (flags.deadline !== undefined) query.set('deadlineMs', String(parseDuration(flags.deadline)));
  const target = new URL(`/api/v1/upgrades?${query.toString()}`, url);
  const ca = join(flags.dataDir, 'tls', 'ca.crt');
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const options = {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/octet-stream',
        'content-length': statSync(flags.file).size,
      },
      ...(target.protocol === 'https:' && existsSync(ca) ? { ca: readFileSync(ca) } : {}),
    };
    const req = (target.protocol === 'https:' ? httpsRequest : httpRequest)(target, options, resolve);
    req.on('error', (err) =>
      reject(new ValidationError(`the control plane at ${url} did not answer: ${err.message}`)),
    );
    createReadStream(flags.file).pipe(req);
  });
  let text = '';
  for await (const chunk of res) text += (chunk as Buffer).toString();
  if (res.statusCode !== 201) {
    const message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text;
    throw new ValidationError(`upgrade refused (${res.statusCode}): ${message}`);
  }
  process.stdout.write(`${text.trim()}\n`);
}

function readToken(dataDir: string): string {
  try {
    return readFileSync(join(dataDir, BOOTSTRAP_TOKEN_FILE), 'utf8').trim();
  } catch {
    throw new ValidationError(
      `no admin token: ${join(dataDir, BOOTSTRAP_TOKEN_FILE)} is missing; pass --token or TETHER_TOKEN (tether-cp token create --role admin)`,
    );
  }
}
