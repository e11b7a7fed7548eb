import type { Client } from 'aedes';
import { describe, expect, it } from 'vitest';
import { Liveness, type LivenessDeps, type PresenceView } from '../src/agents/liveness.js';
import { ManualClock, silentLogger } from './helpers.js';

/** Liveness with inert stores: these tests look only at which sockets it holds, not at what it records. */
function liveness(): Liveness {
  const inert = {
    enqueue: () => undefined,
    open: () => undefined,
    close: () => undefined,
    emit: () => undefined,
  };
  return new Liveness({
    commits: inert,
    distribution: inert,
    bus: inert,
    logger: silentLogger,
    clock: new ManualClock(),
  } as unknown as LivenessDeps);
}

/** Presence as another replica announces it: `owners` maps an agent to the replica holding it elsewhere. */
function presence(owners: Map<string, string>): PresenceView {
  return { announce: () => undefined, remoteOwner: (id) => owners.get(id), remoteCount: owners.size };
}

const client = (id: string): Client => ({ id }) as unknown as Client;

describe('Liveness.holdsSocket: the socket here is the way to the agent', () => {
  it('one control plane: true for a connected agent, false for others and after its disconnect', () => {
    const l = liveness();
    const a1 = client('a1');
    l.connected(a1);
    expect([l.holdsSocket('a1'), l.holdsSocket('a2')]).toEqual([true, false]);
    l.disconnected(a1);
    expect(l.holdsSocket('a1')).toBe(false);
  });

  it('a cluster: false once another replica announced the agent, though its old socket here lingers', () => {
    const owners = new Map<string, string>();
    const l = liveness();
    l.joinCluster(presence(owners));
    l.connected(client('a1'));
    expect(l.holdsSocket('a1')).toBe(true);
    owners.set('a1', 'r2'); // the agent reconnected to r2; its half-open socket here has not closed yet
    expect(l.isLocal('a1')).toBe(true);
    expect(l.holdsSocket('a1')).toBe(false);
    owners.delete('a1'); // back here (r2 announced it offline, or this replica's own announce won)
    expect(l.holdsSocket('a1')).toBe(true);
  });
});
