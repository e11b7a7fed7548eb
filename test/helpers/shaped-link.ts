import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';

/**
 * A slow uplink for real processes: a network namespace for the agent, joined to this one by two veth pairs.
 * `link` is the uplink: its egress in the namespace goes through a `tbf` qdisc at `rate` (MTU 1500), the way back
 * is not shaped. `mgmt` is unshaped and not part of the link: the test's way to the agent's local API.
 *
 * | pair | this namespace          | agent namespace                  |
 * | ---- | ----------------------- | -------------------------------- |
 * | link | `hubAddress` (.1/30)    | .2/30, egress shaped by tbf      |
 * | mgmt | .5/30                   | `agentApiAddress` (.6/30)        |
 */
export interface ShapedLink {
  ns: string;
  /** Where the agent reaches the control plane over the shaped link. */
  hubAddress: string;
  /** Where this namespace reaches the agent's API, beside the link. */
  agentApiAddress: string;
  /** The prefix that runs a command in the agent's namespace. */
  wrap: string[];
  /** The tbf rate, bits per second. */
  rateBits: number;
  /** What the shaped qdisc has sent (bytes on the wire, headers included) and dropped. */
  stats(): { bytes: number; packets: number; drops: number };
  /**
   * Takes the uplink down (connects fail at once: no route) or up again; up, with `rtoMin` (e.g. `1s`), TCP to the
   * hub keeps retransmission timeouts at least that long (a route metric an operator may set on a slow link).
   */
  setUp(up: boolean, rtoMin?: string): void;
  /** Changes the tbf rate. */
  setRate(rate: string): void;
  /** Deletes the namespace and both veth pairs. */
  close(): void;
}

const run = (command: string, args: string[]): string =>
  execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** Why a shaped link cannot be made here (not root, no `ip` or `tc`), as one line; undefined when it can. */
export function shapedLinkUnavailable(): string | undefined {
  if (process.platform !== 'linux')
    return `shaped-link tests need Linux network namespaces (this is ${process.platform})`;
  if (process.getuid?.() !== 0)
    return 'shaped-link tests need root (network namespaces and tc qdiscs); run them as root, as .ci/run does';
  for (const [tool, args] of [
    ['ip', ['-V']],
    ['tc', ['-V']],
  ] as const) {
    try {
      run(tool, [...args]);
    } catch {
      return `shaped-link tests need \`${tool}\` (iproute2) on PATH`;
    }
  }
  return undefined;
}

const open = new Set<ShapedLink>();
/** Links made by this process (names are never reused: a deleted namespace's veth may linger a moment). */
let made = 0;
process.on('exit', () => {
  for (const link of open) link.close();
});

/** A /24 under 10.200-249 that no interface here uses. */
function freeSubnet(): string {
  const used = run('ip', ['-4', '-o', 'addr', 'show']);
  for (let i = 0; i < 100; i++) {
    const prefix = `10.${randomInt(200, 250)}.${randomInt(0, 256)}`;
    if (!used.includes(` ${prefix}.`)) return prefix;
  }
  throw new Error('no free 10.x.y.0/24 for a shaped link');
}

/** Creates a shaped link at `rate` (tc syntax, e.g. `64kbit`); throws with the failing command's output. */
export function createShapedLink(rate: string, name = `tsl${process.pid % 1e6}x${made++}`): ShapedLink {
  const ns = name;
  const dev = (pair: 'l' | 'm', end: 'a' | 'h'): string => `${name.slice(0, 12)}${pair}${end}`;
  const net = freeSubnet();
  const inNs = (args: string[]): string => run('ip', ['-n', ns, ...args]);
  const tbf = (verb: 'add' | 'change', r: string): void => {
    // burst: one full frame; the queue holds a second of the link (a cellular modem's buffer is no smaller).
    run(
      'ip',
      ['netns', 'exec', ns, 'tc', 'qdisc', verb, 'dev', dev('l', 'a'), 'root', 'tbf', 'rate', r].concat([
        'burst',
        '1600',
        'latency',
        '1s',
      ]),
    );
  };
  const commands: Array<() => unknown> = [
    () => run('ip', ['netns', 'add', ns]),
    () => inNs(['link', 'set', 'lo', 'up']),
  ];
  for (const [pair, hubIp, agentIp] of [
    ['l', `${net}.1`, `${net}.2`],
    ['m', `${net}.5`, `${net}.6`],
  ] as const) {
    commands.push(
      () =>
        run('ip', [
          'link',
          'add',
          dev(pair, 'h'),
          'type',
          'veth',
          'peer',
          'name',
          dev(pair, 'a'),
          'netns',
          ns,
        ]),
      () => run('ip', ['addr', 'add', `${hubIp}/30`, 'dev', dev(pair, 'h')]),
      () => run('ip', ['link', 'set', dev(pair, 'h'), 'up']),
      () => inNs(['addr', 'add', `${agentIp}/30`, 'dev', dev(pair, 'a')]),
      () => inNs(['link', 'set', dev(pair, 'a'), 'up']),
    );
  }
  commands.push(() => tbf('add', rate));
  let rateBits = parseTcRate(rate);
  const link: ShapedLink = {
    ns,
    hubAddress: `${net}.1`,
    agentApiAddress: `${net}.6`,
    wrap: ['ip', 'netns', 'exec', ns],
    get rateBits() {
      return rateBits;
    },
    stats: () => {
      const [qdisc] = JSON.parse(
        run('ip', ['netns', 'exec', ns, 'tc', '-s', '-j', 'qdisc', 'show', 'dev', dev('l', 'a')]),
      ) as Array<{
        bytes: number;
        packets: number;
        drops: number;
      }>;
      return { bytes: qdisc?.bytes ?? 0, packets: qdisc?.packets ?? 0, drops: qdisc?.drops ?? 0 };
    },
    setUp: (up, rtoMin) => {
      inNs(['link', 'set', dev('l', 'a'), up ? 'up' : 'down']);
      if (up && rtoMin) inNs(['route', 'add', `${net}.1/32`, 'dev', dev('l', 'a'), 'rto_min', rtoMin]);
    },
    setRate: (r) => {
      tbf('change', r);
      rateBits = parseTcRate(r);
    },
    close: () => {
      if (!open.delete(link)) return;
      // Deleting the namespace deletes its veth ends, and with them their peers here.
      try {
        run('ip', ['netns', 'del', ns]);
      } catch {
        /* already gone */
      }
    },
  };
  open.add(link);
  try {
    for (const command of commands) command();
  } catch (err) {
    link.close();
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`could not set up a shaped link: ${(err as Error).message} ${stderr}`.trim(), {
      cause: err,
    });
  }
  return link;
}

/** A tc rate (`64kbit`, `2mbit`) in bits per second. */
export function parseTcRate(rate: string): number {
  const m = /^(\d+(?:\.\d+)?)(bit|kbit|mbit|gbit)$/i.exec(rate.trim());
  if (!m) throw new Error(`not a tc rate: ${rate} (e.g. 64kbit, 2mbit)`);
  const unit = { bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9 }[m[2]!.toLowerCase() as 'bit'];
  return Number(m[1]) * unit;
}
