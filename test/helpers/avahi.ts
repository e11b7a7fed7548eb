import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { tempDir } from './processes.js';
import { sleep, waitFor } from './wait.js';

/**
 * A link with a real DNS-SD announcer: a network namespace whose loopback carries multicast (`ip link set lo
 * multicast on`, a 224.0.0.0/4 route), a private D-Bus and avahi-daemon (Debian `avahi-daemon`) in it, and
 * `avahi-publish` (Debian `avahi-utils`) to announce services. A veth pair joins it to this namespace, so a
 * process in it (an agent) reaches a control plane here at `hostAddress` and is reached at `nsAddress`.
 */
export interface AvahiLink {
  ns: string;
  /** Runs a command in the namespace (`ip netns exec NS`). */
  wrap: string[];
  /** This namespace's end of the veth. */
  hostAddress: string;
  /** The namespace's end of the veth. */
  nsAddress: string;
  /** Announces `name` (type `_http._tcp` unless given) on `port` with TXT pairs; `stop()` says goodbye. */
  publish(name: string, port: number, txt?: Record<string, string>, type?: string): Promise<Publication>;
  /** Stops avahi-daemon: SIGTERM says goodbye for everything; SIGKILL says nothing (the link goes silent). */
  stopDaemon(signal?: NodeJS.Signals): Promise<void>;
  /** Starts avahi-daemon again (publications must be made again: they were its clients). */
  startDaemon(): Promise<void>;
  close(): Promise<void>;
}

/** One avahi-publish process. */
export interface Publication {
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Why the avahi link cannot be made here, as one line; undefined when it can. */
export function avahiUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'mDNS tests need Linux network namespaces';
  if (process.getuid?.() !== 0)
    return 'mDNS tests need root (a network namespace with multicast on loopback)';
  for (const tool of ['avahi-daemon', 'avahi-publish', 'dbus-daemon', 'ip']) {
    try {
      execFileSync('which', [tool], { stdio: 'ignore' });
    } catch {
      return `mDNS tests need \`${tool}\` (apt-get install avahi-daemon avahi-utils dbus-daemon iproute2)`;
    }
  }
  return undefined;
}

const run = (command: string, args: string[]): string =>
  execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const live = new Set<ChildProcess>();
const namespaces = new Set<string>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
  for (const ns of namespaces) {
    try {
      run('ip', ['netns', 'del', ns]);
    } catch {
      /* gone */
    }
  }
});
let made = 0;

/** Creates the namespace and starts D-Bus and avahi-daemon in it. */
export async function createAvahiLink(): Promise<AvahiLink> {
  const ns = `tav${process.pid % 1e6}x${made++}`;
  const dir = tempDir('tether-avahi-');
  const bus = join(dir, 'bus');
  const net = `10.${randomInt(200, 250)}.${randomInt(0, 256)}`;
  writeFileSync(
    join(dir, 'dbus.conf'),
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>unix:path=${bus}</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="*"/><allow own="*"/><allow send_destination="*"/><allow receive_sender="*"/></policy>
</busconfig>`,
  );
  writeFileSync(
    join(dir, 'avahi.conf'),
    `[server]\nhost-name=${ns}\nuse-ipv4=yes\nuse-ipv6=no\nallow-interfaces=lo\nenable-dbus=yes\nratelimit-interval-usec=0\n` +
      `[wide-area]\nenable-wide-area=no\n[publish]\npublish-hinfo=no\npublish-workstation=no\n`,
  );
  const host = `${ns}h`;
  const peer = `${ns}n`;
  run('ip', ['netns', 'add', ns]);
  namespaces.add(ns);
  const inNs = (args: string[]): string => run('ip', ['-n', ns, ...args]);
  inNs(['link', 'set', 'lo', 'up']);
  inNs(['link', 'set', 'lo', 'multicast', 'on']);
  inNs(['route', 'add', '224.0.0.0/4', 'dev', 'lo']);
  run('ip', ['link', 'add', host, 'type', 'veth', 'peer', 'name', peer, 'netns', ns]);
  run('ip', ['addr', 'add', `${net}.1/30`, 'dev', host]);
  run('ip', ['link', 'set', host, 'up']);
  inNs(['addr', 'add', `${net}.2/30`, 'dev', peer]);
  inNs(['link', 'set', peer, 'multicast', 'off']);
  inNs(['link', 'set', peer, 'up']);
  const wrap = ['ip', 'netns', 'exec', ns];
  const env = { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${bus}` };
  const mine = new Set<ChildProcess>();
  const spawnIn = (args: string[], onOutput?: (text: string) => void): ChildProcess => {
    const child = spawn(wrap[0]!, [...wrap.slice(1), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    mine.add(child);
    child.once('exit', () => {
      live.delete(child);
      mine.delete(child);
    });
    child.stdout?.on('data', (d: Buffer) => onOutput?.(d.toString()));
    child.stderr?.on('data', (d: Buffer) => onOutput?.(d.toString()));
    return child;
  };
  const stop = async (child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  };
  const dbus = spawnIn(['dbus-daemon', `--config-file=${join(dir, 'dbus.conf')}`, '--nofork', '--nopidfile']);
  await waitFor(() => run('ls', [dir]).includes('bus'), 'the private D-Bus');
  let daemon: ChildProcess | undefined;
  let daemonLog = '';
  // avahi-daemon keeps a pid file and socket in /run/avahi-daemon: a private mount of it per link.
  const startDaemon = async (): Promise<void> => {
    daemonLog = '';
    daemon = spawnIn(
      [
        'unshare',
        '-m',
        '--propagation',
        'private',
        'sh',
        '-c',
        'mkdir -p /run/avahi-daemon && mount -t tmpfs tmpfs /run/avahi-daemon && exec avahi-daemon ' +
          `-f ${join(dir, 'avahi.conf')} --no-drop-root --no-chroot --no-rlimits --debug`,
      ],
      (text) => (daemonLog += text),
    );
    await waitFor(() => daemonLog.includes('Server startup complete'), `avahi-daemon\n${daemonLog}`, {
      timeoutMs: 10_000,
    });
  };
  await startDaemon();
  return {
    ns,
    wrap,
    hostAddress: `${net}.1`,
    nsAddress: `${net}.2`,
    publish: async (name, port, txt = {}, type = '_http._tcp') => {
      const pairs = Object.entries(txt).map(([k, v]) => `${k}=${v}`);
      let out = '';
      const child = spawnIn(
        ['avahi-publish', '-s', name, type, String(port), ...pairs],
        (text) => (out += text),
      );
      await waitFor(() => out.includes('Established') || child.exitCode !== null, `avahi-publish ${name}`);
      if (child.exitCode !== null) throw new Error(`avahi-publish ${name} failed: ${out}`);
      return { stop: (signal = 'SIGTERM') => stop(child, signal) };
    },
    stopDaemon: (signal = 'SIGTERM') => stop(daemon, signal),
    startDaemon,
    close: async () => {
      for (const child of [...mine]) await stop(child, 'SIGKILL');
      await stop(dbus, 'SIGKILL');
      await sleep(50);
      try {
        run('ip', ['netns', 'del', ns]);
      } catch {
        /* gone */
      }
      namespaces.delete(ns);
    },
  };
}
