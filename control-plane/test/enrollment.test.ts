import { afterEach, describe, expect, it } from 'vitest';
import {
  ConflictError,
  GoneError,
  parseGrantToken,
  UnauthorizedError,
  ValidationError,
} from '@tether/shared';
import { openDatabase } from '../src/db/open-database.js';
import { defaultMqttUrls } from '../src/agents/registration/mqtt-urls.js';
import { createGrant, parseGrantRequest, redeemGrant } from '../src/agents/registration/grants.js';
import { hashSecret } from '../src/auth/secrets.js';
import { AgentStore } from '../src/store/agent-store.js';
import { tempDir } from './helpers.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function setup() {
  const { dir, cleanup } = tempDir();
  const db = openDatabase(`${dir}/tether.db`);
  cleanups.push(() => {
    db.close();
    cleanup();
  });
  return { db, agents: new AgentStore(db) };
}

const T0 = 1_800_000_000_000;

describe('enrollment grants', () => {
  it('stores only a hash; the token carries id, secret and the TLS pin', () => {
    const { db } = setup();
    const fp = `sha256:${'0f'.repeat(32)}`;
    const { grant, expiresAt } = createGrant(db, { ttl: '15m', site: 'berlin' }, T0, fp);
    expect(expiresAt).toBe(new Date(T0 + 15 * 60_000).toISOString());
    const token = parseGrantToken(grant);
    expect(token.fingerprint).toBe(fp);
    const row = db.prepare('SELECT * FROM enrollment_grants').get() as Record<string, unknown>;
    expect(row.secret_hash).toBe(hashSecret(token.secret));
    expect(JSON.stringify(row)).not.toContain(token.secret);
  });

  it('redeems once: the agent gets the grant’s site and labels, the second redemption is refused', () => {
    const { db, agents } = setup();
    const { grant } = createGrant(db, { site: 'berlin', labels: { tier: 'gold' } }, T0);
    const agent = redeemGrant(db, agents, grant, 'edge-1', T0 + 1000);
    expect(agent).toMatchObject({ id: 'edge-1', site: 'berlin', labels: { tier: 'gold' } });
    expect(agents.get('edge-1')).toMatchObject({
      site: 'berlin',
      labels: { tier: 'gold' },
      secretHash: hashSecret(agent.secret),
    });
    expect(() => redeemGrant(db, agents, grant, 'edge-2', T0 + 2000)).toThrow(ConflictError);
    expect(agents.get('edge-2')).toBeUndefined();
  });

  it('a grant may fix the strategy: the agent is stored with it and the redemption says it', () => {
    const { db, agents } = setup();
    const fixed = redeemGrant(db, agents, createGrant(db, { strategy: 'none' }, T0).grant, 'ro-1', T0);
    expect(fixed.strategy).toBe('none');
    expect(agents.get('ro-1')?.fixedStrategy).toBe('none');
    const free = redeemGrant(db, agents, createGrant(db, {}, T0).grant, 'free-1', T0);
    expect(free.strategy).toBeUndefined();
    expect(agents.get('free-1')?.fixedStrategy).toBeNull();
    expect(() => createGrant(db, parseGrantRequest({ strategy: 'quiet' }), T0)).toThrow(/strategy/);
  });

  it('generates an id when neither grant nor agent names one; a grant bound to an id enrolls only that id', () => {
    const { db, agents } = setup();
    const free = redeemGrant(db, agents, createGrant(db, {}, T0).grant, undefined, T0);
    expect(free.id).toMatch(/^agent-[0-9a-f]{10}$/);
    const bound = createGrant(db, { id: 'edge-7' }, T0).grant;
    expect(() => redeemGrant(db, agents, bound, 'edge-8', T0)).toThrow(/enrolls agent "edge-7" only/);
    expect(redeemGrant(db, agents, bound, undefined, T0).id).toBe('edge-7');
  });

  it('refuses expired, unknown and forged grants, and an existing id, changing nothing', () => {
    const { db, agents } = setup();
    const { grant } = createGrant(db, { ttl: '1s' }, T0);
    expect(() => redeemGrant(db, agents, grant, 'late', T0 + 1000)).toThrow(GoneError);
    const token = parseGrantToken(grant);
    expect(() => redeemGrant(db, agents, `tg1.${token.grantId}.${'x'.repeat(43)}`, 'forged', T0)).toThrow(
      UnauthorizedError,
    );
    expect(() => redeemGrant(db, agents, `tg1.nosuchgrant.${'x'.repeat(43)}`, 'nobody', T0)).toThrow(
      UnauthorizedError,
    );
    expect(() => redeemGrant(db, agents, 'garbage', 'nobody', T0)).toThrow(ValidationError);
    const other = createGrant(db, {}, T0).grant;
    redeemGrant(db, agents, createGrant(db, {}, T0).grant, 'taken', T0);
    expect(() => redeemGrant(db, agents, other, 'taken', T0)).toThrow(ConflictError);
    // The refused redemption did not spend the grant.
    expect(redeemGrant(db, agents, other, 'free', T0).id).toBe('free');
    expect(agents.list().map((a) => a.id)).toEqual(['free', 'taken']);
  });

  it.each([['0s'], ['8d'], ['soon']])('refuses the ttl %s', (ttl) => {
    const { db } = setup();
    expect(() => createGrant(db, { ttl }, T0)).toThrow(ValidationError);
  });
});

describe('defaultMqttUrls', () => {
  it('offers TLS listeners only when TLS is on, best first', () => {
    expect(defaultMqttUrls('cp.example', { mqtts: 8883, mqtt: 1883, http: 8443, secure: true })).toEqual([
      'mqtts://cp.example:8883',
      'wss://cp.example:8443/mqtt',
    ]);
    expect(defaultMqttUrls('10.0.0.1', { mqtt: 1883, http: 8080, secure: false })).toEqual([
      'mqtt://10.0.0.1:1883',
      'ws://10.0.0.1:8080/mqtt',
    ]);
    expect(defaultMqttUrls('[::1]', { mqtt: 1, http: 2, secure: false })[0]).toBe('mqtt://[::1]:1');
    expect(defaultMqttUrls('::1', { mqtt: 1, http: 2, secure: false })[0]).toBe('mqtt://[::1]:1');
  });
});
