import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { appendFile, rm, stat } from 'node:fs/promises';
import {
  encode,
  upgradesTopic,
  verifyUpgradeSignature,
  type LinkTransport,
  type UpgradeChunk,
  type UpgradeOffer,
  type UpgradeOutcome,
  type UpgradeResult,
} from '@tether/shared';
import type { AgentLogger } from '../observability/logger.js';
import { readOutcome, writeOutcome } from './upgrade-outcome.js';

/** A received and verified build, ready to be swapped in. */
export interface StagedBuild {
  upgrade: string;
  /** The staged file, beside the running build. */
  file: string;
  sha256: string;
  /** How long the new build has to connect before the previous one is put back, ms. */
  deadlineMs: number;
}

/** What an UpgradeReceiver needs. */
export interface UpgradeReceiverOptions {
  transport: LinkTransport;
  agentId: string;
  stateDir: string;
  /** The file of the running build (the executable or the bundle): what an upgrade replaces; none: not upgradable. */
  buildFile: string | undefined;
  /** The control plane's public key (PEM) from the enrollment: builds must be signed by it. */
  upgradeKey: string | undefined;
  /** The version this build reports. */
  version: string;
  logger: AgentLogger;
  /** This process is the new build of that upgrade: it reports `upgraded` once connected. */
  justUpgraded?: string | undefined;
  /** A build was received and verified: swap it in and restart (the CLI's hand-over). */
  onStaged?: ((build: StagedBuild) => void) | undefined;
  /** The `upgraded` outcome of `justUpgraded` was published. */
  onReported?: (() => void) | undefined;
}

/** The build being received: the offer, where it is written, how much of it is there and how much was asked for. */
interface Receiving {
  offer: UpgradeOffer;
  file: string;
  size: number;
  /** The offset the next `upgrade-fetch` asks for (fetches for [size, requested) are in flight). */
  requested: number;
}

/**
 * How many chunks an agent asks for ahead of the one it waits for: one at a time, a link's round trip bounds the
 * transfer (128 KiB per round trip: a 100 MB executable over a 300 ms link takes 4 minutes); 8 keep at most 1 MiB
 * (plus base64) in flight at each end.
 */
export const UPGRADE_FETCH_WINDOW = 8;

/**
 * The offsets to ask for next: from `requested` (what was asked for so far) on, chunk by chunk, while below the
 * build's `total` and less than UPGRADE_FETCH_WINDOW chunks ahead of `written`.
 */
export function fetchOffsets(
  written: number,
  requested: number,
  total: number,
  chunkBytes: number,
): number[] {
  const out: number[] = [];
  const limit = Math.min(total, written + UPGRADE_FETCH_WINDOW * chunkBytes);
  for (
    let at = Math.max(requested, written);
    at < limit && out.length < UPGRADE_FETCH_WINDOW;
    at += chunkBytes
  )
    out.push(at);
  return out;
}

/** Where the build of an offer is written while it arrives: beside the running build, named by its digest. */
export function stagedFile(buildFile: string, sha256: string): string {
  return `${buildFile}.${sha256.slice(0, 16)}.staged`;
}

/** sha256 hex of a file, streamed (bounded memory). */
export async function fileDigest(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * The agent's side of a fleet upgrade (docs/upgrades.md): checks an offer's signature against the enrolled key,
 * pulls the build chunk by chunk into a staged file beside the running one (UPGRADE_FETCH_WINDOW chunks in flight;
 * a reconnect resumes where the file ends), checks its sha256, and hands the staged build over. A refusal is logged, stored
 * and reported to the hub, which audits it. Messages are handled one at a time, in order.
 */
export class UpgradeReceiver {
  readonly #opts: UpgradeReceiverOptions;
  #queue: Promise<void> = Promise.resolve();
  #receiving: Receiving | undefined;
  #handedOver = false;
  #runningDigest: string | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(options: UpgradeReceiverOptions) {
    this.#opts = options;
  }

  /** Reports the stored outcome (and this build's own, when it is an upgrade's new build) on every connect. */
  start(): void {
    this.#unsubscribe = this.#opts.transport.onConnect(() => this.#enqueue(() => this.#connected()));
    if (this.#opts.transport.connected) this.#enqueue(() => this.#connected());
  }

  /** Stops reacting to connects. */
  stop(): void {
    this.#unsubscribe?.();
  }

  /** An offer from the hub. */
  offer(message: UpgradeOffer): void {
    this.#enqueue(() => this.#offer(message));
  }

  /** A chunk of the build being received. */
  chunk(message: UpgradeChunk): void {
    this.#enqueue(() => this.#chunk(message));
  }

  #enqueue(work: () => Promise<void>): void {
    this.#queue = this.#queue.then(work).catch((err: Error) => {
      this.#opts.logger.error({ err: err.message }, 'upgrade handling failed');
    });
  }

  async #connected(): Promise<void> {
    const { justUpgraded } = this.#opts;
    if (justUpgraded !== undefined) {
      this.#opts.justUpgraded = undefined;
      this.#opts.logger.info(
        { upgrade: justUpgraded, version: this.#opts.version },
        'upgraded: this build connected',
      );
      await this.#report(justUpgraded, 'upgraded');
      this.#opts.onReported?.();
      return;
    }
    const stored = await readOutcome(this.#opts.stateDir);
    if (stored) await this.#publish(stored);
  }

  async #offer(offer: UpgradeOffer): Promise<void> {
    if (this.#handedOver) return;
    const stored = await readOutcome(this.#opts.stateDir);
    if (stored?.upgrade === offer.upgrade) return this.#publish(stored);
    const current = this.#receiving;
    if (current?.offer.upgrade === offer.upgrade) {
      // Offered again after a reconnect: what was in flight is lost; ask again from what is written.
      current.requested = current.size;
      return this.#fetchAhead(current);
    }
    const key = this.#opts.upgradeKey;
    if (key === undefined)
      return this.#refuse(
        offer.upgrade,
        'this agent holds no upgrade key (it was not enrolled with a grant from a control plane that signs builds): re-join it with a new grant to take upgrades',
      );
    if (!verifyUpgradeSignature(key, offer.sha256, offer.size, offer.signature))
      return this.#refuse(
        offer.upgrade,
        "the build's signature does not verify with the control plane key this agent enrolled with: not installed (was the control plane's upgrade key replaced? re-join the agent)",
      );
    const { buildFile, onStaged } = this.#opts;
    if (buildFile === undefined || onStaged === undefined)
      return this.#refuse(
        offer.upgrade,
        'this agent does not run from a bundle (tether-agent.mjs) or the single executable, so it cannot replace itself: upgrade it by hand',
      );
    this.#runningDigest ??= await fileDigest(buildFile).catch(() => '');
    if (this.#runningDigest === offer.sha256) return this.#report(offer.upgrade, 'upgraded');
    const file = stagedFile(buildFile, offer.sha256);
    const have = await stat(file).then(
      (s) => s.size,
      () => 0,
    );
    const size = have <= offer.size ? have : 0;
    if (size === 0) await rm(file, { force: true });
    this.#receiving = { offer, file, size, requested: size };
    this.#opts.logger.info(
      { upgrade: offer.upgrade, size: offer.size, sha256: offer.sha256, resumeAt: size },
      'receiving a new build',
    );
    if (size === offer.size) return this.#finish(this.#receiving);
    return this.#fetchAhead(this.#receiving);
  }

  async #chunk(chunk: UpgradeChunk): Promise<void> {
    const current = this.#receiving;
    if (!current || current.offer.upgrade !== chunk.upgrade || chunk.offset !== current.size) return;
    const data = Buffer.from(chunk.data, 'base64');
    if (data.length === 0 || current.size + data.length > current.offer.size) {
      this.#receiving = undefined;
      await rm(current.file, { force: true });
      return this.#refuse(
        chunk.upgrade,
        'the control plane sent more bytes than the offered size: not installed',
      );
    }
    await appendFile(current.file, data, { mode: 0o700 });
    current.size += data.length;
    if (current.size < current.offer.size) return this.#fetchAhead(current);
    return this.#finish(current);
  }

  async #finish(current: Receiving): Promise<void> {
    this.#receiving = undefined;
    const digest = await fileDigest(current.file);
    if (digest !== current.offer.sha256) {
      await rm(current.file, { force: true });
      return this.#refuse(
        current.offer.upgrade,
        `the received build's sha256 ${digest} is not the signed ${current.offer.sha256}: not installed (the hub offers it again)`,
      );
    }
    this.#handedOver = true;
    this.#opts.logger.info({ upgrade: current.offer.upgrade }, 'new build received and verified');
    this.#opts.onStaged?.({
      upgrade: current.offer.upgrade,
      file: current.file,
      sha256: digest,
      deadlineMs: current.offer.deadlineMs,
    });
  }

  /** Asks for the chunks after those in flight, up to UPGRADE_FETCH_WINDOW ahead of what is written. */
  async #fetchAhead(current: Receiving): Promise<void> {
    const { offer } = current;
    const offsets = fetchOffsets(current.size, current.requested, offer.size, offer.chunkBytes);
    for (const offset of offsets) {
      if (this.#receiving !== current || !this.#opts.transport.connected) return;
      current.requested = offset + offer.chunkBytes;
      await this.#opts.transport.publish(
        upgradesTopic(this.#opts.agentId),
        encode({ v: 1, type: 'upgrade-fetch', upgrade: offer.upgrade, offset }),
        { qos: 1 },
      );
    }
  }

  async #refuse(upgrade: string, reason: string): Promise<void> {
    this.#opts.logger.warn({ upgrade, reason }, 'upgrade refused');
    await this.#report(upgrade, 'refused', reason);
  }

  async #report(upgrade: string, outcome: UpgradeOutcome, reason?: string): Promise<void> {
    const result: UpgradeResult = {
      v: 1,
      type: 'upgrade-result',
      upgrade,
      outcome,
      version: this.#opts.version,
      ...(reason === undefined ? {} : { reason }),
    };
    await writeOutcome(this.#opts.stateDir, result);
    await this.#publish(result);
  }

  async #publish(result: UpgradeResult): Promise<void> {
    if (!this.#opts.transport.connected) return;
    await this.#opts.transport
      .publish(upgradesTopic(this.#opts.agentId), encode(result), { qos: 1 })
      .catch((err: Error) =>
        this.#opts.logger.warn({ err: err.message }, 'could not report an upgrade outcome'),
      );
  }
}
