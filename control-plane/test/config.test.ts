import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../src/index.js';
import { tempDir } from './helpers.js';

describe('config file', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  function file(name: string, text: string): string {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  }

  it('reads YAML with services and defaults', () => {
    const config = loadConfig(
      file(
        'cp.yaml',
        'mqttPort: 1884\nstaleGrace: 30s\nservices:\n  - name: billing\n    url: http://10.0.0.1\n',
      ),
    );
    expect(config.mqttPort).toBe(1884);
    expect(config.services?.[0]).toEqual({ name: 'billing', url: 'http://10.0.0.1', labels: {}, metric: 1 });
  });

  it('names the bad field and what was expected', () => {
    expect(() => loadConfig(file('cp.json', '{"httpPort":"eighty"}'))).toThrow(/httpPort: .*expected number/);
    expect(() => parseConfig({ staleGrace: 'soon' })).toThrow(/staleGrace: expected a duration/);
    expect(() => parseConfig({ services: [{ name: 'x', url: 'ftp://x' }] })).toThrow(/services\.0\.url/);
    expect(() => parseConfig({ mqttport: 1 })).toThrow(/mqttport/);
    expect(() => parseConfig({ reports: { protocol: 3 } })).toThrow(/reports\.protocol/);
    expect(parseConfig({ reports: { protocol: 1 } }).reports?.protocol).toBe(1);
  });

  it.each<[string, object, string]>([
    [
      'a service visibility',
      { services: [{ name: 'x', url: 'http://x', visibleTo: { label: {} } }] },
      'services.0.visibleTo: unrecognized key "label"',
    ],
    [
      'a service',
      { services: [{ name: 'x', url: 'http://x', metrc: 2 }] },
      'services.0: unrecognized key "metrc"',
    ],
    [
      'a policy tier match',
      { policies: { x: { tiers: [{ match: { sites: 'a' }, priority: 1 }] } } },
      'policies.x.tiers.0.match: unrecognized key "sites"',
    ],
    [
      'a report stream retention',
      { reports: { retention: { streams: { m: { maxAgee: '1d' } } } } },
      'reports.retention.streams.m: unrecognized key "maxAgee"',
    ],
    [
      'a rate limit',
      { limits: { connectRate: { perSec: 1 } } },
      'limits.connectRate: unrecognized key "perSec"',
    ],
    ['tls', { tls: { cert: 'a', key: 'b', ca: 'c' } }, 'tls: unrecognized key "ca"'],
  ])('refuses an unknown key in %s, naming its path', (_what, config, expected) => {
    expect(() => parseConfig(config)).toThrow(ConfigError);
    expect(() => parseConfig(config)).toThrow(expected);
  });

  it('throws ConfigError for unreadable and unparsable files', () => {
    expect(() => loadConfig('/nonexistent/cp.yaml')).toThrow(ConfigError);
    expect(() => loadConfig(file('cp.json', '{nope'))).toThrow(ConfigError);
  });
});
