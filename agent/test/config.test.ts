import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConfigError,
  loadConfig,
  loadConfigFile,
  normalizeControlPlaneUrl,
  resolveConfig,
} from '@tether/agent';
import { tempDir } from './helpers.js';

const base = { controlPlane: 'mqtt://hub:1883', id: 'edge-1', secret: 's3cret' };
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('config precedence', () => {
  it('takes flags over env over file over defaults, field by field', () => {
    const config = resolveConfig({
      flags: { id: 'from-flag', label: ['zone=flag'] },
      env: {
        TETHER_ID: 'from-env',
        TETHER_SITE: 'env-site',
        TETHER_SECRET: 'env-secret',
        TETHER_LABELS: 'zone=env,tier=env',
      },
      file: {
        ...base,
        id: 'from-file',
        site: 'file-site',
        strategy: 'best',
        labels: { zone: 'file', rack: 'file' },
      },
      cwd: '/srv',
    });
    expect(config.id).toBe('from-flag');
    expect(config.site).toBe('env-site');
    expect(config.secret).toBe('env-secret');
    expect(config.strategy).toBe('best');
    expect(config.labels).toEqual({ zone: 'flag', tier: 'env', rack: 'file' });
    expect(config.controlPlane).toBe('mqtt://hub:1883');
  });

  it('fills defaults', () => {
    const config = resolveConfig({ flags: {}, env: {}, file: base, cwd: '/srv' });
    expect(config).toMatchObject({
      strategy: 'local',
      site: 'default',
      api: { host: '127.0.0.1', port: 7070 },
      stateDir: path.join('/srv', '.tether', 'edge-1'),
      digestIntervalMs: 30_000,
      logLevel: 'info',
      logFormat: 'auto',
      services: [],
    });
  });

  it('merges services: flags replace TETHER_SERVICES, config services stay with their source', () => {
    const config = resolveConfig({
      flags: { service: ['web=http://127.0.0.1:8080'] },
      env: { TETHER_SERVICES: 'env=http://127.0.0.1:1' },
      file: {
        ...base,
        services: [{ name: 'db', url: 'http://127.0.0.1:5432', metric: 5, healthCheck: { interval: '5s' } }],
      },
    });
    expect(config.services.map((s) => [s.name, s.source])).toEqual([
      ['web', 'static'],
      ['db', 'static'],
    ]);
    expect(config.services[1]?.healthCheck).toEqual({
      path: '/',
      intervalMs: 5000,
      timeoutMs: 2000,
      unhealthyThreshold: 2,
    });
    const fromEnv = resolveConfig({
      flags: {},
      env: { ...envOf(base), TETHER_SERVICES: 'a=http://h:1, b=http://h:2' },
    });
    expect(fromEnv.services.map((s) => s.name)).toEqual(['a', 'b']);
  });

  it('reads the config file named by TETHER_CONFIG (YAML), below flags', async () => {
    const { dir, remove } = await tempDir();
    cleanups.push(remove);
    const file = path.join(dir, 'agent.yaml');
    await writeFile(
      file,
      'controlPlane: ws://hub:8080\nid: yaml-agent\nsecret: x\nstrategy: all\napi:\n  port: 9000\n',
    );
    const config = await loadConfig({ strategy: 'none' }, { TETHER_CONFIG: file }, dir);
    expect(config).toMatchObject({
      id: 'yaml-agent',
      strategy: 'none',
      api: { port: 9000 },
      controlPlane: 'ws://hub:8080/mqtt',
    });
  });
});

describe('config errors', () => {
  it('names the bad field of a config file and what was expected', async () => {
    const { dir, remove } = await tempDir();
    cleanups.push(remove);
    const file = path.join(dir, 'agent.json');
    await writeFile(file, JSON.stringify({ ...base, strategy: 'loudest', api: { port: 'x' } }));
    const err = await loadConfigFile(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(2);
    expect((err as Error).message).toMatch(/strategy/);
    expect((err as Error).message).toMatch(/api\.port/);
    expect((err as Error).message).toMatch(/none|local|best|all/);
  });

  it('refuses unknown fields in the config file', async () => {
    const { dir, remove } = await tempDir();
    cleanups.push(remove);
    const file = path.join(dir, 'agent.json');
    await writeFile(file, JSON.stringify({ ...base, secrte: 'typo' }));
    await expect(loadConfigFile(file)).rejects.toThrow(/secrte/);
  });

  it.each([
    [{ ...base, id: undefined }, /missing agent id.*--id.*TETHER_ID/],
    [{ ...base, secret: undefined }, /missing secret.*--secret/],
    [{ ...base, controlPlane: undefined }, /missing control plane URL.*--control-plane/],
  ])('explains a missing required setting', (file, message) => {
    expect(() => resolveConfig({ flags: {}, env: {}, file })).toThrow(message);
  });

  it('names a bad flag value', () => {
    expect(() => resolveConfig({ flags: { apiPort: '70000' }, env: {}, file: base })).toThrow(
      /API port \(--api-port\)/,
    );
    expect(() => resolveConfig({ flags: { label: ['novalue'] }, env: {}, file: base })).toThrow(
      /--label "novalue": expected key=value/,
    );
    expect(() => resolveConfig({ flags: { service: ['web=ftp://x'] }, env: {}, file: base })).toThrow(
      /--service/,
    );
    expect(() => resolveConfig({ flags: { id: 'bad id!' }, env: {}, file: base })).toThrow(/agent id/);
  });
});

describe('uplink settings', () => {
  it('merges stream priorities per stream (flags > env > file) and takes the rate cap flag > env > file', () => {
    const config = resolveConfig({
      flags: { streamPriority: ['alarms=high', 'metrics=low,audit=normal'], uplinkMaxRate: '32kbit' },
      env: { TETHER_STREAM_PRIORITY: 'logs=low,metrics=high', TETHER_UPLINK_MAX_RATE: '1mbit' },
      file: {
        ...base,
        uplink: { maxRate: '2mbit' },
        streams: { traces: { priority: 'low' }, alarms: { priority: 'low' } },
      },
    });
    expect(config.uplink).toEqual({
      maxRate: 4000,
      streamPriority: { traces: 'low', alarms: 'high', logs: 'low', metrics: 'low', audit: 'normal' },
    });
    expect(resolveConfig({ flags: {}, env: {}, file: base }).uplink).toEqual({
      maxRate: null,
      streamPriority: {},
    });
  });

  it.each<[string, object, RegExp]>([
    [
      'an unknown priority',
      { streamPriority: ['alarms=urgent'] },
      /--stream-priority "alarms=urgent": expected stream=priority/,
    ],
    [
      'no priority',
      { streamPriority: ['alarms'] },
      /expected stream=priority with priority high, normal or low/,
    ],
    ['a bad stream name', { streamPriority: ['a/b=high'] }, /--stream-priority "a\/b=high"/],
    [
      'a rate without a unit it knows',
      { uplinkMaxRate: 'fast' },
      /uplink max rate \(--uplink-max-rate\).*32kbit/,
    ],
  ])('refuses %s, saying what works', (_what, flags, message) => {
    expect(() => resolveConfig({ flags, env: {}, file: base })).toThrow(message);
  });

  it('refuses a bad priority or rate in the config file, naming the field', async () => {
    const { dir, remove } = await tempDir();
    cleanups.push(remove);
    const file = path.join(dir, 'agent.yaml');
    await writeFile(file, 'streams:\n  alarms:\n    priority: urgent\nuplink:\n  maxRate: lots\n');
    const err = await loadConfigFile(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/streams\.alarms\.priority/);
    expect((err as Error).message).toMatch(/uplink\.maxRate/);
  });
});

describe('control plane URL', () => {
  it.each([
    ['mqtt://hub:1883', 'mqtt://hub:1883'],
    ['mqtts://hub:8883', 'mqtts://hub:8883'],
    ['ws://hub:8080', 'ws://hub:8080/mqtt'],
    ['wss://hub', 'wss://hub/mqtt'],
    ['ws://hub:8080/custom', 'ws://hub:8080/custom'],
  ])('accepts %s', (input, expected) => {
    expect(normalizeControlPlaneUrl(input)).toBe(expected);
  });

  it.each(['http://hub:8080', 'tcp://hub:1883', 'hub:1883', 'not a url'])(
    'refuses %s with exit status 2',
    (input) => {
      let err: unknown;
      try {
        normalizeControlPlaneUrl(input);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).exitCode).toBe(2);
      expect((err as Error).message).toMatch(/control plane URL/);
    },
  );
});

function envOf(c: typeof base): Record<string, string> {
  return { TETHER_CONTROL_PLANE: c.controlPlane, TETHER_ID: c.id, TETHER_SECRET: c.secret };
}

describe('a strategy fixed by the control plane at enrollment (credential.json)', () => {
  const credential = { v: 1 as const, id: 'edge-1', secret: 's3cret', controlPlane: 'mqtt://hub:1883' };
  const resolve = (fixed: 'none' | 'local' | undefined, flag?: string, env?: string, file?: string) =>
    resolveConfig({
      flags: flag === undefined ? {} : { strategy: flag },
      env: env === undefined ? {} : { TETHER_STRATEGY: env },
      file: file === undefined ? {} : { strategy: file as 'local' },
      credential: { ...credential, ...(fixed === undefined ? {} : { strategy: fixed }) },
    }).strategy;

  it.each<
    [string, 'none' | 'local' | undefined, string | undefined, string | undefined, string | undefined, string]
  >([
    ['no fixed strategy, nothing given: the default', undefined, undefined, undefined, undefined, 'local'],
    ['no fixed strategy: the flag', undefined, 'best', undefined, undefined, 'best'],
    ['fixed none, nothing given: none', 'none', undefined, undefined, undefined, 'none'],
    ['fixed none, the same given: none', 'none', 'none', undefined, undefined, 'none'],
    ['fixed local, the same in the file', 'local', undefined, undefined, 'local', 'local'],
  ])('%s', (_what, fixed, flag, env, file, expected) => {
    expect(resolve(fixed, flag, env, file)).toBe(expected);
  });

  it.each<[string, string | undefined, string | undefined, string | undefined]>([
    ['a flag', 'local', undefined, undefined],
    ['TETHER_STRATEGY', undefined, 'all', undefined],
    ['the config file', undefined, undefined, 'best'],
  ])('refuses %s contradicting it, saying what to do', (_what, flag, env, file) => {
    expect(() => resolve('none', flag, env, file)).toThrow(ConfigError);
    expect(() => resolve('none', flag, env, file)).toThrow(
      /fixed this agent's strategy to "none" at enrollment \(credential\.json\); drop --strategy/,
    );
  });
});
