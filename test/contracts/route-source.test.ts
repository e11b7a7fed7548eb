import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { routeSourceContract, type Instance, type RegistryHarness } from './route-source.contract.js';
import { avahiUnavailable, createAvahiLink, type Publication } from '../helpers/avahi.js';
import { etcdUnavailable, microKey, microService, startEtcd } from '../helpers/etcd.js';
import { tempDir } from '../helpers/processes.js';
import type { Edge } from '../helpers/tether.js';

// Short timings so that the contract runs in seconds: resync every second, one second of grace.
const FAST = 'resync=1s&grace=1s';
const loopback = (port: number): string => `http://127.0.0.1:${port}`;

routeSourceContract(
  'static',
  async () => {
    const dir = tempDir('tether-static-');
    const config = join(dir, 'agent.yaml');
    const initial: Instance[] = [];
    let edge: Edge | undefined;
    const post = async (i: Instance): Promise<void> => {
      const res = await edge!.api('/v1/services', {
        method: 'POST',
        body: JSON.stringify({ name: i.name, url: loopback(i.port), labels: i.labels }),
      });
      if (res.status !== 201) throw new Error(`POST ${i.name}: ${res.status}`);
    };
    const del = async (i: Instance): Promise<void> => {
      const res = await edge!.api(`/v1/services/${i.name}`, { method: 'DELETE' });
      if (res.status !== 204) throw new Error(`DELETE ${i.name}: ${res.status}`);
    };
    const harness: RegistryHarness = {
      kind: 'static',
      get agentArgs() {
        const services = initial.map((i) => ({ name: i.name, url: loopback(i.port), labels: i.labels }));
        writeFileSync(config, JSON.stringify({ services }) /* JSON is YAML */);
        return ['--config', config];
      },
      restartsAgent: true,
      url: loopback,
      attach: (e) => (edge = e),
      // Before the agent runs, instances go in its config file (static); afterwards through its API (api).
      add: async (i) => (edge ? post(i) : void initial.push(i)),
      change: async (i) => {
        await del(i);
        await post(i);
      },
      remove: del,
      restart: async () => undefined,
      close: async () => rmSync(dir, { recursive: true, force: true }),
    };
    return harness;
  },
  undefined,
);

routeSourceContract(
  'file',
  async () => {
    const dir = tempDir('tether-file-source-');
    const file = join(dir, 'services.yaml');
    const held = new Map<string, Instance>();
    // Every write is a new file renamed over the old one, as config tools and editors do.
    let writes = 0;
    const write = (): void => {
      const services = [...held.values()].map((i) => ({
        name: i.name,
        url: loopback(i.port),
        labels: i.labels,
      }));
      const tmp = join(dir, `.services.${writes++}.tmp`);
      writeFileSync(tmp, JSON.stringify({ services }) /* JSON is YAML */);
      renameSync(tmp, file);
    };
    write();
    return {
      kind: 'file',
      agentArgs: ['--source', `file://${file}?${FAST}`],
      url: loopback,
      add: async (i) => {
        held.set(i.name, i);
        write();
      },
      change: async (i) => {
        held.set(i.name, i);
        write();
      },
      remove: async (i) => {
        held.delete(i.name);
        write();
      },
      restart: async () => {
        rmSync(file);
        write();
      },
      unreachable: {
        stop: async () => rmSync(file),
        start: async () => write(),
      },
      close: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
  undefined,
);

routeSourceContract(
  'etcd (go-micro registry layout)',
  async () => {
    const etcd = await startEtcd();
    const put = (i: Instance): Promise<void> =>
      etcd.put(
        microKey(i.name, `${i.name}-1`),
        microService(i.name, { id: `${i.name}-1`, address: `127.0.0.1:${i.port}`, metadata: i.labels }),
      );
    return {
      kind: 'etcd',
      agentArgs: ['--source', `${etcd.sourceUrl}?${FAST}`],
      url: loopback,
      add: put,
      change: put,
      remove: (i) => etcd.delete(microKey(i.name, `${i.name}-1`)),
      restart: async () => {
        await etcd.stop('SIGTERM');
        await etcd.start();
      },
      unreachable: { stop: () => etcd.stop('SIGKILL'), start: () => etcd.start() },
      close: () => etcd.stop(),
    };
  },
  etcdUnavailable(),
);

routeSourceContract(
  'mdns (avahi-publish on a multicast loopback)',
  async () => {
    const link = await createAvahiLink();
    const published = new Map<string, { instance: Instance; publication: Publication }>();
    const publish = async (i: Instance): Promise<void> => {
      const publication = await link.publish(i.name, i.port, i.labels);
      published.set(i.name, { instance: i, publication });
    };
    const unpublish = async (i: Instance): Promise<void> => {
      await published.get(i.name)?.publication.stop();
      published.delete(i.name);
    };
    const republishAll = async (): Promise<void> => {
      const all = [...published.values()].map((p) => p.instance);
      published.clear();
      for (const i of all) await publish(i);
    };
    return {
      kind: 'mdns',
      agentArgs: ['--source', `mdns://?type=_http._tcp&window=300ms&${FAST}`],
      netns: { wrap: link.wrap, apiHost: link.nsAddress },
      url: loopback,
      add: publish,
      // A TXT change: avahi-publish cannot update in place; a new announcement replaces the instance.
      change: async (i) => {
        await unpublish(i);
        await publish(i);
      },
      remove: unpublish,
      restart: async () => {
        await link.stopDaemon('SIGTERM');
        await link.startDaemon();
        await republishAll();
      },
      // SIGKILL: the link goes silent, no goodbye is said.
      unreachable: {
        stop: async () => {
          await link.stopDaemon('SIGKILL');
          for (const { publication } of published.values()) await publication.stop('SIGKILL');
        },
        start: async () => {
          await link.startDaemon();
          await republishAll();
        },
      },
      close: () => link.close(),
    };
  },
  avahiUnavailable(),
);
