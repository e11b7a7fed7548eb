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

  it('throws ConfigError for unreadable and unparsable files', () => {
    expect(() => loadConfig('/nonexistent/cp.yaml')).toThrow(ConfigError);
    expect(() => loadConfig(file('cp.json', '{nope'))).toThrow(ConfigError);
  });
});
