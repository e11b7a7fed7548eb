import { join } from 'node:path';
import { ListenError, parseDuration } from '@tether/shared';
import { apiUrlOf, recordApiUrl } from './api-url-file.js';

import { BOOTSTRAP_TOKEN_FILE } from '../auth/bootstrap-token.js';

import { limitsFromConfig, streamLimitsFromConfig } from '../broker/limits-config.js';
import { ConfigError, loadConfig, parseConfig, type ConfigFile } from './config-file.js';

import { startControlPlane, type ControlPlane, type ControlPlanePorts } from '../control-plane.js';
import { DEFAULT_DATA_DIR } from './data-dir.js';

import { retentionPolicy } from '../reports/retention-config.js';

import { createLogger, type LogFormat } from '../observability/logger.js';

import { loadServerTls, resolveTlsFiles } from '../tls/server-tls.js';

/** The flags of `tether-cp serve`. */
export interface ServeFlags {
  dataDir?: string;
  mqttPort?: number;
  httpPort?: number;
  config?: string;
  staleGrace?: string;
  host?: string;
  httpHost?: string;
  maxBody?: number;
  maxPacketSize?: number;
  connectTimeout?: string;
  tlsCert?: string;
  tlsKey?: string;
  mqttsPort?: number;
  publicMqttUrl: string[];
  redisUrl?: string;
  replicaId?: string;
  logLevel: string;
  logFormat: LogFormat;
}

/** `--redis-url`/`redisUrl` and `--replica-id`: a cluster member (docs/cluster.md). */
function clusterOptions(flags: ServeFlags, file: ConfigFile): { redisUrl?: string; replicaId?: string } {
  const redisUrl = flags.redisUrl ?? file.redisUrl;
  if (redisUrl === undefined) return {};
  const parsed = parseConfig({ redisUrl, replicaId: flags.replicaId ?? file.replicaId }, '--redis-url');
  return {
    ...(parsed.redisUrl ? { redisUrl: parsed.redisUrl } : {}),
    ...(parsed.replicaId ? { replicaId: parsed.replicaId } : {}),
  };
}

/** `tether-cp serve`: runs the control plane until SIGINT/SIGTERM. */
export async function serve(flags: ServeFlags): Promise<void> {
  const file: ConfigFile = flags.config ? loadConfig(flags.config) : {};
  const dataDir = flags.dataDir ?? file.dataDir ?? DEFAULT_DATA_DIR;
  const grace = flags.staleGrace ?? file.staleGrace;
  let staleGraceMs: number | undefined;
  try {
    staleGraceMs = grace === undefined ? undefined : parseDuration(grace);
  } catch (err) {
    throw new ConfigError(`staleGrace: ${(err as Error).message}`);
  }
  const tlsFiles = resolveTlsFiles(dataDir, flags.tlsCert ?? file.tls?.cert, flags.tlsKey ?? file.tls?.key);
  const tls = tlsFiles && loadServerTls(tlsFiles);
  // With TLS the plain MQTT listener is off unless a port is asked for explicitly.
  const mqttPort = flags.mqttPort ?? file.mqttPort ?? (tls ? undefined : 1883);
  const publicMqttUrls = flags.publicMqttUrl.length
    ? (parseConfig({ publicMqttUrls: flags.publicMqttUrl }, '--public-mqtt-url').publicMqttUrls ?? [])
    : (file.publicMqttUrls ?? []);
  const logger = createLogger(flags.logLevel, flags.logFormat);
  const limits = limitsFromConfig(file.limits);
  if (flags.maxPacketSize !== undefined) limits.maxPacketBytes = flags.maxPacketSize;
  if (flags.connectTimeout !== undefined) {
    try {
      limits.connectTimeoutMs = parseDuration(flags.connectTimeout);
    } catch (err) {
      throw new ConfigError(`--connect-timeout: ${(err as Error).message}`);
    }
  }
  if (tlsFiles) logger.info({ cert: tlsFiles.cert, source: tlsFiles.source }, 'TLS on: mqtts, https and wss');
  const cp = await withListenAdvice(
    startControlPlane({
      dataDir,
      ...(mqttPort === undefined ? {} : { mqttPort }),
      httpPort: flags.httpPort ?? file.httpPort ?? 8080,
      ...(tls ? { tls, mqttsPort: flags.mqttsPort ?? file.mqttsPort ?? 8883 } : {}),
      publicMqttUrls,
      ...clusterOptions(flags, file),
      host: flags.host ?? file.host ?? '0.0.0.0',
      // Loopback unless told otherwise: exposing the API is a decision (every route but probes needs a token).
      httpHost: flags.httpHost ?? file.httpHost ?? '127.0.0.1',
      site: file.site ?? 'central',
      services: file.services ?? [],
      listeners: file.listeners ?? [],
      streamLimits: streamLimitsFromConfig(file.limits),
      policies: file.policies ?? {},
      ...(staleGraceMs === undefined ? {} : { staleGraceMs }),
      ...(flags.maxBody === undefined ? {} : { maxBodyBytes: flags.maxBody }),
      retention: retentionPolicy(file.reports?.retention),
      ...(file.reports?.protocol === undefined ? {} : { reportProtocol: file.reports.protocol }),
      limits,
      logger,
    }),
  );
  process.stdout.write(`${JSON.stringify(cp.ports)}\n`);
  const apiUrl = apiUrlOf(flags.httpHost ?? file.httpHost ?? '127.0.0.1', cp.ports.http, !!cp.fingerprint);
  recordApiUrl(dataDir, apiUrl);
  process.stderr.write(readyHint(cp.ports, dataDir, apiUrl, cp.fingerprint));
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      logger.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await cp.close();
  process.exit(0);
}

/** The setting behind each listener: its flag, its config-file key and the flag of its address. */
const LISTENER_SETTINGS = {
  http: { port: '--http-port', key: 'httpPort', host: '--http-host' },
  mqtt: { port: '--mqtt-port', key: 'mqttPort', host: '--host' },
  mqtts: { port: '--mqtts-port', key: 'mqttsPort', host: '--host' },
} as const;

/** A listener that cannot bind: the error names the flag (and config key) to change. */
async function withListenAdvice(starting: Promise<ControlPlane>): Promise<ControlPlane> {
  try {
    return await starting;
  } catch (err) {
    if (!(err instanceof ListenError)) throw err;
    const setting = LISTENER_SETTINGS[err.listener as keyof typeof LISTENER_SETTINGS];
    if (!setting) throw err;
    const hint =
      err.reason === 'EADDRNOTAVAIL'
        ? `pick an address of this machine with ${setting.host}`
        : `stop what holds it or pick another port with ${setting.port} N (${setting.key} in the config file; 0 picks a free port)`;
    throw new ListenError(err.listener, err.host, err.port, err.cause, hint);
  }
}

/** What a person starting the server needs to read next: where the API is, its token, how to enroll an agent. */
function readyHint(ports: ControlPlanePorts, dataDir: string, api: string, fingerprint?: string): string {
  const mqtt = [
    ports.mqtts === undefined ? '' : `mqtts://<this host>:${ports.mqtts}`,
    ports.mqtt === undefined ? '' : `mqtt://<this host>:${ports.mqtt}`,
  ].filter(Boolean);
  return [
    '',
    `Tether control plane is up. Dashboard: ${api}/  API: ${api}/api/v1/agents  MQTT: ${mqtt.join(' ') || `(${api.replace('http', 'ws')}/mqtt)`}`,
    ...(fingerprint ? [`TLS certificate: ${fingerprint}`] : []),
    `API token (admin, created on first start): curl -H "authorization: Bearer $(cat ${join(dataDir, BOOTSTRAP_TOKEN_FILE)})" ...`,
    `Enroll an agent:  pnpm exec tether-cp grant create --data-dir ${dataDir}   (prints the grant and its join line)`,
    `Then on the edge:  tether-agent join <grant> --state-dir <dir>`,
    '',
  ].join('\n');
}
