import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors.js';
import { dnsSdSpec } from '../src/sources/dns-sd-instance.js';
import { parseMicroService } from '../src/sources/micro-service.js';
import { parseServicesFile } from '../src/sources/services-file.js';
import { isExported, serviceNameOf } from '../src/sources/source-labels.js';
import { MICRO_PREFIX, parseSourceUrl } from '../src/sources/source-url.js';

// The registries' pure parts, table-tested: source URLs, go-micro values, services files, DNS-SD instances.
describe('parseSourceUrl', () => {
  it.each([
    ['etcd://10.0.0.1:2379', { type: 'etcd', endpoint: 'http://10.0.0.1:2379', prefix: MICRO_PREFIX }],
    ['etcd://h:2379/svc', { type: 'etcd', prefix: '/svc/' }],
    ['etcd://h:2379/?export=tether&resync=2s&grace=0', { exportKey: 'tether', resyncMs: 2000, graceMs: 0 }],
    [
      'file:///etc/tether/services.yaml',
      { type: 'file', path: '/etc/tether/services.yaml', resyncMs: 60_000 },
    ],
    ['mdns://', { type: 'mdns', serviceType: '_http._tcp', windowMs: 1000 }],
    ['mdns://?type=_printer._tcp&window=300ms', { serviceType: '_printer._tcp', windowMs: 300 }],
  ])('%s', (text, expected) => {
    expect(parseSourceUrl(text)).toMatchObject(expected);
  });

  it.each([
    ['not a url', 'not a URL'],
    ['consul://h:8500', 'unknown scheme "consul:"'],
    ['etcd://h', 'expected etcd://host:port'],
    ['etcd://h:1?typo=1', 'unknown parameter "typo"'],
    ['file:///x/services.txt', '.yaml, .yml or .json'],
    ['file://host/x.yaml', 'no host'],
    ['mdns://?type=http', 'not a DNS-SD service type'],
    ['mdns://?window=10ms', 'window must be at least 100ms'],
    ['etcd://h:1?resync=soon', 'resync=soon is not a duration'],
    ['etcd://user:pw@h:1?export=', 'export must name'],
  ])('refuses %s, saying what is wrong', (text, message) => {
    expect(() => parseSourceUrl(text)).toThrow(ConfigError);
    expect(() => parseSourceUrl(text)).toThrow(message);
  });

  it('never shows credentials in the name or an error', () => {
    expect(parseSourceUrl('etcd://user:pw@h:1').name).not.toContain('pw');
    expect(() => parseSourceUrl('etcd://user:pw@h:1?x=1')).toThrow(/\*\*\*/);
  });
});

const micro = (nodes: object[], extra: object = {}): string =>
  JSON.stringify({ name: 'go.micro.srv.greeter', version: '1.2', metadata: { team: 'a' }, nodes, ...extra });

describe('parseMicroService (go-micro registry values)', () => {
  it.each([
    ['host:port', [{ id: 'n1', address: '10.0.0.5:8080' }], ['http://10.0.0.5:8080']],
    ['old separate port', [{ id: 'n1', address: '10.0.0.5', port: 9090 }], ['http://10.0.0.5:9090']],
    ['bracketed IPv6', [{ id: 'n1', address: '[fd00::1]:80' }], ['http://[fd00::1]:80']],
    ['bare IPv6 with port field', [{ id: 'n1', address: 'fd00::1', port: 80 }], ['http://[fd00::1]:80']],
    ['no port at all: skipped', [{ id: 'n1', address: '10.0.0.5' }], []],
    ['a path is not an address', [{ id: 'n1', address: '10.0.0.5:80/x' }], []],
    ['two nodes', [{ address: 'a:1' }, { address: 'b:2' }], ['http://a:1', 'http://b:2']],
  ])('%s', (_, nodes, urls) => {
    const parsed = parseMicroService(micro(nodes), undefined);
    expect(parsed.ok && parsed.specs.map((s) => s.url)).toEqual(urls);
  });

  it("labels: the service's metadata, then the node's (which win), and the version; source etcd", () => {
    const parsed = parseMicroService(micro([{ address: 'a:1', metadata: { team: 'b', x: 'y' } }]), undefined);
    expect(parsed).toEqual({
      ok: true,
      specs: [
        {
          name: 'go.micro.srv.greeter',
          url: 'http://a:1',
          metric: 1,
          labels: { team: 'b', x: 'y', version: '1.2' },
          source: 'etcd',
        },
      ],
    });
  });

  it('imports only nodes marked for export when asked (node or service metadata)', () => {
    const nodes = [
      { address: 'a:1', metadata: { tether: 'yes' } },
      { address: 'b:2', metadata: { tether: 'off' } },
      { address: 'c:3' },
    ];
    const only = (value: string, key: string): string[] => {
      const parsed = parseMicroService(value, key);
      return parsed.ok ? parsed.specs.map((s) => s.url) : [];
    };
    expect(only(micro(nodes), 'tether')).toEqual(['http://a:1']);
    expect(only(micro(nodes, { metadata: { tether: 'true' } }), 'tether')).toEqual([
      'http://a:1',
      'http://c:3',
    ]);
  });

  it.each([
    ['{', 'not JSON'],
    ['{"name":""}', 'not a go-micro service'],
    ['{"name":"***"}', 'has nothing usable'],
  ])('skips %s (%s)', (value, reason) => {
    const parsed = parseMicroService(value, undefined);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toContain(reason);
  });
});

describe('parseServicesFile', () => {
  it('reads a list or { services }, YAML or JSON, with source file', () => {
    const yaml = 'services:\n  - name: a\n    url: http://127.0.0.1:1\n';
    const json = '[{"name":"a","url":"http://127.0.0.1:1"}]';
    for (const text of [yaml, json, ''])
      expect(parseServicesFile(text, undefined)).toEqual({
        ok: true,
        specs: text === '' ? [] : [expect.objectContaining({ name: 'a', source: 'file', metric: 1 })],
      });
  });

  it.each([
    ['services:\n  - name: a\n    url: ftp://x\n', 'services.0.url'],
    ['services:\n  - name: a\n    url: http://x\n  - name: b\n', 'services.1.url'],
    ['services: []\nextra: 1\n', 'extra'],
    ['services: [', 'neither JSON nor YAML'],
  ])('names the bad field of %j', (text, path) => {
    const parsed = parseServicesFile(text, undefined);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.error).toContain(path);
  });

  it('keeps only entries labelled for export when asked', () => {
    const text = JSON.stringify([
      { name: 'a', url: 'http://x:1', labels: { export: 'yes' } },
      { name: 'b', url: 'http://x:2' },
    ]);
    const parsed = parseServicesFile(text, 'export');
    expect(parsed.ok && parsed.specs.map((s) => s.name)).toEqual(['a']);
  });
});

describe('DNS-SD instances', () => {
  const base = { name: 'Orders (2)', port: 8080, addresses: ['fe80::1', '192.168.1.9'] };
  it.each([
    ['named after the instance, IPv4 first', base, 'Orders-2', 'http://192.168.1.9:8080'],
    [
      'named by the TXT service key',
      { ...base, txt: { service: 'orders' } },
      'orders',
      'http://192.168.1.9:8080',
    ],
    ['IPv6 only', { ...base, addresses: ['fe80::1'] }, 'Orders-2', 'http://[fe80::1]:8080'],
    [
      'no address record: who answered',
      { ...base, addresses: [], referer: { address: '10.1.1.1' } },
      'Orders-2',
      'http://10.1.1.1:8080',
    ],
  ])('%s', (_, instance, name, url) => {
    expect(dnsSdSpec(instance, 'http', undefined)).toMatchObject({ name, url, source: 'mdns' });
  });

  it.each([
    ['no port', { ...base, port: 0 }, undefined],
    ['no address', { ...base, addresses: [] }, undefined],
    ['not exported', base, 'tether'],
    ['exported with a bare TXT key is kept', { ...base, txt: { tether: true } }, 'tether'],
  ])('%s', (what, instance, exportKey) => {
    const spec = dnsSdSpec(instance, 'http', exportKey);
    expect(spec === undefined).toBe(!what.startsWith('exported'));
  });
});

describe('names and export marks', () => {
  it.each([
    ['go.micro.srv.greeter', 'go.micro.srv.greeter'],
    ['My Printer (3)', 'My-Printer-3'],
    ['--x', 'x'],
    ['***', undefined],
    ['a'.repeat(200), 'a'.repeat(128)],
  ])('serviceNameOf(%j)', (name, expected) => {
    expect(serviceNameOf(name)).toBe(expected);
  });

  it.each([
    [{}, undefined, true],
    [{}, 'k', false],
    [{ k: 'yes' }, 'k', true],
    [{ k: true }, 'k', true],
    [{ k: ' No ' }, 'k', false],
    [{ k: '' }, 'k', false],
    [{ k: 1 }, 'k', false],
  ])('isExported(%j, %s) = %s', (metadata, key, expected) => {
    expect(isExported(metadata, key)).toBe(expected);
  });
});
