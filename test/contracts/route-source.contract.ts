import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdge, type Edge } from '../helpers/tether.js';
import { stopAll, tempDir } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

/** One instance as a registry would hold it: the contract names, addresses and labels it. */
export interface Instance {
  name: string;
  port: number;
  labels: Record<string, string>;
}

/**
 * A real registry of one kind, driven by the contract: what it holds is what the agent must list. Every method
 * resolves once the registry itself has taken the change (not the agent).
 */
export interface RegistryHarness {
  /** The agent's arguments that name the registry (`--source URL` with short resync and grace). */
  agentArgs: string[];
  /** Restarting the registry means restarting the agent (the static source lives in it). */
  restartsAgent?: boolean;
  /** The route source kind the agent must report. */
  kind: 'static' | 'file' | 'etcd' | 'mdns';
  /** The address an instance on `port` has in the agent's routes. */
  url(port: number): string;
  /** Run the agent in a network namespace (mDNS), its API on `apiHost`. */
  netns?: { wrap: readonly string[]; apiHost: string };
  /** Called once the agent runs (the static source is driven through the agent's API). */
  attach?(edge: Edge): void;
  add(instance: Instance): Promise<void>;
  /** Changes an instance's labels (metadata, TXT, file field). */
  change(instance: Instance): Promise<void>;
  remove(instance: Instance): Promise<void>;
  /** Restarts the registry (etcd process, avahi-daemon, the file replaced by rename; static: the agent). */
  restart(): Promise<void>;
  /** Makes the registry unreachable and back; absent where it cannot be (the static source). */
  unreachable?: { stop(): Promise<void>; start(): Promise<void> };
  close(): Promise<void>;
}

interface ServiceRow {
  name: string;
  url: string;
  labels: Record<string, string>;
  source: string;
  state: 'active' | 'stale';
}

interface SourceRow {
  name: string;
  kind: string;
  phase: string;
}

/**
 * The one contract every route source runs, against a real registry and a real agent process: the agent lists
 * what the registry holds at start, follows additions, changes and removals, comes back after the registry
 * restarts, and keeps an unreachable registry's instances for the grace (then stale, then current again).
 */
export function routeSourceContract(
  name: string,
  open: () => Promise<RegistryHarness>,
  skip: string | undefined,
): void {
  describe.skipIf(skip !== undefined)(
    `route source contract: ${name}${skip ? ` (skipped: ${skip})` : ''}`,
    () => {
      let registry: RegistryHarness;
      let edge: Edge;
      const stateDir = tempDir('tether-source-');
      const a: Instance = { name: 'alpha', port: 18101, labels: { tier: 'gold' } };
      const b: Instance = { name: 'beta', port: 18102, labels: {} };
      const c: Instance = { name: 'gamma', port: 18103, labels: { zone: 'a' } };
      const d: Instance = { name: 'delta', port: 18104, labels: {} };

      const startAgent = async (): Promise<void> => {
        edge = await startEdge({
          id: 'src-agent',
          secret: 'not-used-no-control-plane',
          url: 'mqtt://127.0.0.1:1',
          stateDir,
          ...(registry.netns ? { netns: registry.netns } : {}),
          args: registry.agentArgs,
        });
        registry.attach?.(edge);
      };
      const services = async (): Promise<ServiceRow[]> =>
        (await edge.api<{ services: ServiceRow[] }>('/v1/services')).body.services;
      const source = async (): Promise<SourceRow | undefined> =>
        (await edge.api<{ sources: SourceRow[] }>('/v1/status')).body.sources.find(
          (s) => s.kind === registry.kind,
        );
      const holds = (instance: Instance, rows: ServiceRow[], labels = instance.labels): boolean =>
        rows.some(
          (r) =>
            r.name === instance.name &&
            r.url === registry.url(instance.port) &&
            (r.source === registry.kind || (registry.kind === 'static' && r.source === 'api')) &&
            Object.entries(labels).every(([k, v]) => r.labels[k] === v),
        );
      const names = async (): Promise<string[]> => (await services()).map((r) => r.name).sort();

      beforeAll(async () => {
        registry = await open();
        await registry.add(a);
        await registry.add(b);
        await startAgent();
      });
      afterAll(async () => {
        await edge?.proc.stop();
        await registry?.close();
        await stopAll();
      });

      it('lists what the registry holds at start, with its source kind, address and labels', async () => {
        const rows = await waitFor(async () => {
          const r = await services();
          return holds(a, r) && holds(b, r) && r;
        }, 'alpha and beta listed');
        expect(rows.map((r) => r.name).sort()).toEqual(['alpha', 'beta']);
        expect(rows.every((r) => r.state === 'active')).toBe(true);
      });

      it('follows an addition', async () => {
        await registry.add(c);
        await waitFor(async () => holds(c, await services()), 'gamma added');
      });

      it('follows a change of labels', async () => {
        const changed = { ...c, labels: { zone: 'b', extra: 'yes' } };
        await registry.change(changed);
        await waitFor(async () => holds(changed, await services()), 'gamma changed');
      });

      it('follows a removal', async () => {
        await registry.remove(c);
        await waitFor(async () => !(await names()).includes('gamma'), 'gamma removed');
        expect(await names()).toEqual(['alpha', 'beta']);
      });

      it('is current again after the registry restarts, and follows it afterwards', async () => {
        if (registry.restartsAgent) {
          await edge.proc.stop();
          await startAgent();
        } else await registry.restart();
        await registry.add(d);
        await waitFor(async () => holds(d, await services()), 'delta after the restart');
        await waitFor(async () => (await names()).join() === 'alpha,beta,delta', 'alpha, beta and delta', {
          timeoutMs: 15_000,
        });
      });

      it("keeps an unreachable registry's instances for the grace, then marks them stale, then current again", async (ctx) => {
        const control = registry.unreachable;
        if (!control) return ctx.skip(); // the static source is never unreachable
        await control.stop();
        await waitFor(
          async () => (await source())?.phase === 'unreachable' || (await source())?.phase === 'stale',
          'unreachable',
        );
        // Within the grace (or past it): still listed, never dropped.
        expect(await names()).toEqual(['alpha', 'beta', 'delta']);
        await waitFor(
          async () => (await services()).every((r) => r.state === 'stale'),
          'stale after the grace',
        );
        await control.start();
        await waitFor(async () => (await source())?.phase === 'synced', 'synced again', {
          timeoutMs: 20_000,
        });
        await waitFor(async () => {
          const rows = await services();
          return rows.length > 0 && rows.every((r) => r.state === 'active') && rows;
        }, 'active again');
        expect(await names()).toEqual(['alpha', 'beta', 'delta']);
      });
    },
  );
}
