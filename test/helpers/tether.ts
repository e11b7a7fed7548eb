import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { join } from 'node:path';
import { AGENT_BIN, AGENT_BUNDLE, CP_BIN, spawnNode, tempDir, type Proc } from './processes.js';

/** A JSON HTTP response. */
export interface JsonResponse<T = unknown> {
  status: number;
  body: T;
}

/** Calls a JSON HTTPS endpoint, verifying the server against `ca` (PEM). */
export function https<T = unknown>(
  base: string,
  path: string,
  ca: string,
  init: RequestInit = {},
  token?: string,
): Promise<JsonResponse<T>> {
  const headers = {
    'content-type': 'application/json',
    ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
  };
  return new Promise((resolve, reject) => {
    const req = httpsRequest(new URL(path, base), { method: init.method ?? 'GET', ca, headers }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: (text ? JSON.parse(text) : undefined) as T }),
      );
    });
    req.on('error', reject);
    req.end(typeof init.body === 'string' ? init.body : undefined);
  });
}

/** GETs a text resource over HTTPS (`options`: the CA to verify against, or a kept-alive agent). */
export function httpsText(url: string, options: RequestOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, options, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Calls a JSON HTTP endpoint (with `token`, as `Authorization: Bearer`, unless the headers set one). */
export async function http<T = unknown>(
  base: string,
  path: string,
  init: RequestInit = {},
  token?: string,
): Promise<JsonResponse<T>> {
  const res = await fetch(base + path, {
    ...init,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(init.headers ?? {}),
    },
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/** A running `tether-cp serve` process. */
export interface ControlPlane {
  proc: Proc;
  dataDir: string;
  /** Plain MQTT (empty when the control plane serves TLS only). */
  mqttUrl: string;
  /** MQTT over TLS at `localhost` (the name `certs init` puts in the certificate), when serving TLS. */
  mqttsUrl?: string;
  /** MQTT over WebSocket: `wss://` when serving TLS. */
  wsUrl: string;
  /** The HTTP API: `https://localhost:N` when serving TLS. */
  apiBase: string;
  /** The admin token the server created on first start (`DATA_DIR/admin-token`). */
  token: string;
  /** JSON API call with the admin token (headers may override `authorization`). */
  api<T = unknown>(path: string, init?: RequestInit): Promise<JsonResponse<T>>;
  /** A raw `fetch` of `apiBase + path` with the admin token (headers may override `authorization`). */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Registers an agent through the API and returns its secret. */
  addAgent(id: string): Promise<string>;
}

/** Creates one API token of `role` per name through the admin API; each one's id and secret, by name. */
export async function createTokens<N extends string>(
  cp: ControlPlane,
  role: 'admin' | 'viewer' | 'caller',
  names: readonly N[],
): Promise<Record<N, { id: string; token: string }>> {
  const out = {} as Record<N, { id: string; token: string }>;
  for (const name of names) {
    const res = await cp.api<{ id: string; token: string }>('/api/v1/tokens', {
      method: 'POST',
      body: JSON.stringify({ role, name }),
    });
    if (res.status !== 201) throw new Error(`token ${name}: status ${res.status}`);
    out[name] = res.body;
  }
  return out;
}

/** The admin token `tether-cp serve` wrote to its data dir on first start. */
export function adminToken(dataDir: string): string {
  return readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
}

/** Options of a control plane under test. */
export interface ControlPlaneOptions {
  dataDir?: string;
  config?: object;
  args?: string[];
  /** The CA (PEM file) to verify an HTTPS API with (a control plane with TLS). */
  caFile?: string;
  /** Open a plain MQTT listener (default true; with TLS, false leaves mqtts only). */
  plainMqtt?: boolean;
  /** Options for node itself, before the script (a benchmark's `--cpu-prof`). */
  nodeArgs?: string[];
  /** The tether-cp script to run (default this workspace's; a benchmark's older build). */
  bin?: string;
}

/** Starts `tether-cp serve` on free ports. */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const dataDir = options.dataDir ?? tempDir('tether-cp-');
  const args = [options.bin ?? CP_BIN, 'serve', '--data-dir', dataDir, '--http-port', '0'];
  if (options.plainMqtt !== false) args.push('--mqtt-port', '0');
  if (options.config) {
    const file = join(dataDir, 'config.json');
    writeFileSync(file, JSON.stringify(options.config));
    args.push('--config', file);
  }
  const proc = await spawnNode([...(options.nodeArgs ?? []), ...args, ...(options.args ?? [])]);
  const token = adminToken(dataDir);
  const { mqtt, mqtts, http: httpPort } = proc.ready as { mqtt?: number; mqtts?: number; http: number };
  const secure = mqtts !== undefined;
  const apiBase = secure ? `https://localhost:${httpPort}` : `http://127.0.0.1:${httpPort}`;
  const ca = options.caFile === undefined ? undefined : readFileSync(options.caFile, 'utf8');
  const cp: ControlPlane = {
    proc,
    dataDir,
    mqttUrl: mqtt === undefined ? '' : `mqtt://127.0.0.1:${mqtt}`,
    ...(secure ? { mqttsUrl: `mqtts://localhost:${mqtts}` } : {}),
    wsUrl: `${secure ? 'wss' : 'ws'}://127.0.0.1:${httpPort}/mqtt`,
    apiBase,
    token,
    fetch: (path, init = {}) =>
      fetch(apiBase + path, {
        ...init,
        headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) },
      }),
    api: (path, init) => (ca ? https(apiBase, path, ca, init, token) : http(apiBase, path, init, token)),
    addAgent: async (id) => {
      const res = await cp.api<{ id: string; secret: string }>('/api/v1/agents', {
        method: 'POST',
        body: JSON.stringify({ id }),
      });
      if (res.status !== 201) throw new Error(`agent add ${id}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.secret;
    },
  };
  return cp;
}

/** Options of an edge agent under test. */
export interface EdgeOptions {
  id: string;
  secret: string;
  url: string;
  /** Extra environment (e.g. TETHER_CA_FILE). */
  env?: Record<string, string>;
  strategy?: 'none' | 'local' | 'best' | 'all';
  site?: string;
  labels?: Record<string, string>;
  services?: Record<string, string>;
  stateDir?: string;
  /** Run the single-file esbuild bundle instead of the workspace build. */
  bundle?: boolean;
  args?: string[];
  /** Options for node itself, before the script (a benchmark's `--cpu-prof`). */
  nodeArgs?: string[];
  /** Run it in a network namespace (`wrap`: `ip netns exec NS`), its API on `apiHost` there. */
  netns?: { wrap: readonly string[]; apiHost: string };
  /** The tether-agent script to run (default this workspace's; a benchmark's older build). */
  bin?: string;
}

/** A running `tether-agent run` process. */
export interface Edge {
  proc: Proc;
  id: string;
  stateDir: string;
  apiBase: string;
  api<T = unknown>(path: string, init?: RequestInit): Promise<JsonResponse<T>>;
}

/** Starts `tether-agent run` with its API on a free port. */
export async function startEdge(o: EdgeOptions): Promise<Edge> {
  const stateDir = o.stateDir ?? tempDir(`tether-agent-${o.id}-`);
  const args = [
    ...(o.nodeArgs ?? []),
    o.bundle ? AGENT_BUNDLE : (o.bin ?? AGENT_BIN),
    'run',
    '--control-plane',
    o.url,
    '--id',
    o.id,
  ];
  args.push('--api-port', '0', '--state-dir', stateDir, '--strategy', o.strategy ?? 'local');
  if (o.site) args.push('--site', o.site);
  for (const [k, v] of Object.entries(o.labels ?? {})) args.push('--label', `${k}=${v}`);
  for (const [k, v] of Object.entries(o.services ?? {})) args.push('--service', `${k}=${v}`);
  if (o.netns) args.push('--api-host', o.netns.apiHost);
  // The secret travels by environment, as an operator would pass it, not on the command line.
  const env = { ...o.env, TETHER_SECRET: o.secret };
  const proc = await spawnNode([...args, ...(o.args ?? [])], env, 20_000, o.netns?.wrap);
  const apiBase = `http://${o.netns?.apiHost ?? '127.0.0.1'}:${proc.ready.api}`;
  return { proc, id: o.id, stateDir, apiBase, api: (path, init) => http(apiBase, path, init) };
}

/** Service names among a list of routes. */
export function serviceNames(routes: { service: string }[]): string[] {
  return [...new Set(routes.map((r) => r.service))].sort();
}
