import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { z } from 'zod';
import {
  AdvertDeltaSchema,
  AdvertDigestSchema,
  AdvertMessageSchema,
  AdvertSnapshotSchema,
  AgentRoutesSchema,
  AgentStatusSchema,
  CredentialMessageSchema,
  decode,
  encode,
  ErrorMessageSchema,
  InboxMessageSchema,
  ReportsDownMessageSchema,
  ReportsUpMessageSchema,
  ResyncRequestSchema,
} from '@tether/shared';
import { route } from './fixtures.js';

const r = route({ origin: 'edge-1', labels: { env: 'prod' } });
const snapshot = {
  v: 1,
  type: 'advert-snapshot',
  epoch: 'e1',
  seq: 0,
  strategy: 'local',
  site: 's',
  labels: {},
  routes: [r],
};
const delta = { v: 1, type: 'advert-delta', epoch: 'e1', seq: 1, upserts: [r], removes: ['["a","b","c"]'] };
const digest = { v: 1, type: 'advert-digest', epoch: 'e1', seq: 1, digest: 'abc123', count: 1 };
const resync = { v: 1, type: 'resync-request', reason: 'gap' };
const agentRoutes = {
  v: 1,
  type: 'agent-routes',
  epoch: 'h1',
  seq: 0,
  full: true,
  upserts: [r],
  removes: [],
};
const status = {
  v: 1,
  type: 'agent-status',
  agentId: 'edge-1',
  status: 'online',
  strategy: 'best',
  at: 1700000000000,
};
const error = { v: 1, type: 'error', code: 'forged_route', message: 'route origin is not the sender' };

const valid: [string, z.ZodType<unknown>, object][] = [
  ['advert-snapshot', AdvertSnapshotSchema, snapshot],
  ['advert-delta', AdvertDeltaSchema, delta],
  ['advert-digest', AdvertDigestSchema, digest],
  ['resync-request', ResyncRequestSchema, resync],
  ['agent-routes', AgentRoutesSchema, agentRoutes],
  ['agent-status', AgentStatusSchema, status],
  ['error', ErrorMessageSchema, error],
];

describe('message schemas', () => {
  it.each(valid)('%s: a valid example decodes to itself', (_type, schema, example) => {
    expect(decode(schema, encode(example))).toEqual({ ok: true, message: example });
    expect(decode(schema, new TextEncoder().encode(encode(example)))).toEqual({ ok: true, message: example });
  });

  it.each([snapshot, delta, digest, resync])('advert topic union accepts $type', (example) => {
    expect(decode(AdvertMessageSchema, encode(example)).ok).toBe(true);
  });

  it.each([agentRoutes, resync, error])('inbox topic union accepts $type', (example) => {
    expect(decode(InboxMessageSchema, encode(example)).ok).toBe(true);
  });

  it.each([agentRoutes, status, error])('advert topic union rejects $type', (example) => {
    expect(decode(AdvertMessageSchema, encode(example)).ok).toBe(false);
  });
});

const tooManyLabels = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v']));
const withRoute = (overrides: object) => encode({ ...snapshot, routes: [{ ...r, ...overrides }] });
const rejected: [string, z.ZodType<unknown>, string | Uint8Array, RegExp, number?][] = [
  ['non-JSON', AdvertMessageSchema, '{"v":1,', /not JSON/],
  ['invalid UTF-8 bytes', AdvertMessageSchema, new Uint8Array([0xff, 0xfe, 0x7b]), /not JSON/],
  ['empty payload', AdvertMessageSchema, '', /not JSON/],
  ['wrong v', AdvertSnapshotSchema, encode({ ...snapshot, v: 2 }), /v/],
  ['v as a string', AdvertSnapshotSchema, encode({ ...snapshot, v: '1' }), /v/],
  ['unknown type', AdvertMessageSchema, encode({ ...snapshot, type: 'advert-bogus' }), /type/],
  ['oversize payload', AdvertSnapshotSchema, encode(snapshot), /exceeds 64/, 64],
  ['bad service name', AdvertSnapshotSchema, withRoute({ service: 'bad name!' }), /service/],
  ['service name starting with a dot', AdvertSnapshotSchema, withRoute({ service: '.hidden' }), /service/],
  ['route origin with /', AdvertSnapshotSchema, withRoute({ origin: 'a/b' }), /origin/],
  ['negative metric', AdvertSnapshotSchema, withRoute({ metric: -1 }), /metric/],
  ['too many route labels', AdvertSnapshotSchema, withRoute({ labels: tooManyLabels }), /at most 32 labels/],
  [
    'too many snapshot labels',
    AdvertSnapshotSchema,
    encode({ ...snapshot, labels: tooManyLabels }),
    /at most 32/,
  ],
  ['agent id with /', AgentStatusSchema, encode({ ...status, agentId: 'a/b' }), /agentId/],
  ['agent id with +', AgentStatusSchema, encode({ ...status, agentId: 'a+' }), /agentId/],
  ['agent id with #', AgentStatusSchema, encode({ ...status, agentId: '#' }), /agentId/],
  [
    'agent id "central"',
    AgentStatusSchema,
    encode({ ...status, agentId: 'central' }),
    /"central" is reserved/,
  ],
  ['empty agent id', AgentStatusSchema, encode({ ...status, agentId: '' }), /agentId/],
  ['agent id of 65 characters', AgentStatusSchema, encode({ ...status, agentId: 'a'.repeat(65) }), /agentId/],
  ['bad status', AgentStatusSchema, encode({ ...status, status: 'maybe' }), /status/],
  ['bad strategy', AdvertSnapshotSchema, encode({ ...snapshot, strategy: 'most' }), /strategy/],
  ['negative seq', AdvertDeltaSchema, encode({ ...delta, seq: -1 }), /seq/],
  ['JSON null', AdvertMessageSchema, 'null', /./],
  ['JSON array', AdvertMessageSchema, '[]', /./],
];

describe('decode rejects', () => {
  it.each(rejected)('%s, with a readable error', (_name, schema, payload, pattern, maxBytes) => {
    const result = decode(schema, payload, maxBytes);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(typeof result.error).toBe('string');
    expect(result.error.length).toBeGreaterThan(0);
    expect(result.error.length).toBeLessThanOrEqual(1000);
    expect(result.error).toMatch(pattern);
  });

  it('accepts a payload exactly at maxBytes', () => {
    const text = encode(resync);
    expect(decode(ResyncRequestSchema, text, Buffer.byteLength(text)).ok).toBe(true);
    expect(decode(ResyncRequestSchema, text, Buffer.byteLength(text) - 1).ok).toBe(false);
  });

  it('counts bytes, not characters', () => {
    const text = encode({ ...resync, reason: 'é'.repeat(10) });
    expect(decode(ResyncRequestSchema, text, text.length).ok).toBe(false);
  });

  it('property: never throws, whatever the payload', () => {
    const payload = fc.oneof(
      fc.string(),
      fc.uint8Array({ maxLength: 64 }),
      fc.jsonValue().map((j) => JSON.stringify(j)),
      fc
        .record({
          v: fc.oneof(fc.constant(1), fc.anything()),
          type: fc.constantFrom('advert-snapshot', 'advert-delta', 'x'),
        })
        .map(encode),
    );
    fc.assert(
      fc.property(
        payload,
        fc.constantFrom<z.ZodType<unknown>>(AdvertMessageSchema, InboxMessageSchema, AgentStatusSchema),
        (p, schema) => {
          const result = decode(schema, p);
          expect(typeof result.ok).toBe('boolean');
          if (!result.ok) expect(result.error).toEqual(expect.any(String));
        },
      ),
      { numRuns: 300 },
    );
  });
});

// Strictness (messages.ts): agent -> hub messages refuse unknown keys at any depth; hub -> agent ones ignore them.
const withKey = (path: readonly (string | number)[], value: object): object => {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let at: Record<string | number, unknown> = copy;
  for (const step of path) at = at[step] as Record<string | number, unknown>;
  at['extra'] = true;
  return copy;
};
const outbox = { depth: 0, bytes: 0, oldestAgeMs: null, dropped: 0 };
const batch = {
  v: 1,
  type: 'report-batch',
  batch: 'b1',
  reports: [{ stream: 's', seq: 1, at: 1, contentType: 'text/plain', body: 'x' }],
  dropped: [{ stream: 's', through: 1 }],
};
const strictCases: [string, z.ZodType<unknown>, object, (string | number)[]][] = [
  ['snapshot', AdvertMessageSchema, snapshot, []],
  ['snapshot route', AdvertMessageSchema, snapshot, ['routes', 0]],
  ['snapshot outbox', AdvertMessageSchema, { ...snapshot, outbox }, ['outbox']],
  ['delta upsert', AdvertMessageSchema, delta, ['upserts', 0]],
  ['digest', AdvertMessageSchema, digest, []],
  ['resync request', AdvertMessageSchema, resync, []],
  ['status', AgentStatusSchema, status, []],
  ['credential ack', CredentialMessageSchema, { v: 1, type: 'credential-ack', rotation: 'r1' }, []],
  ['report batch', ReportsUpMessageSchema, batch, []],
  ['report', ReportsUpMessageSchema, batch, ['reports', 0]],
  ['dropped range', ReportsUpMessageSchema, batch, ['dropped', 0]],
];

describe('strictness', () => {
  it.each(strictCases)(
    'agent -> hub: an unknown key in a %s refuses the message, naming it',
    (_w, schema, value, path) => {
      const result = decode(schema, encode(withKey(path, value)));
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error).toContain(`unrecognized key "extra"`);
      expect(decode(schema, encode(value)).ok).toBe(true);
    },
  );

  it.each<[string, object, (string | number)[]]>([
    ['agent-routes', agentRoutes, []],
    ['an agent-routes route', agentRoutes, ['upserts', 0]],
    ['resync-request', resync, []],
    ['error', error, []],
  ])('hub -> agent: a key a newer hub adds to %s is ignored', (_w, value, path) => {
    expect(decode(InboxMessageSchema, encode(withKey(path, value)))).toEqual({ ok: true, message: value });
  });

  it('hub -> agent: a report-ack with a key a newer hub adds is read', () => {
    const ack = { v: 1, type: 'report-ack', batch: 'b1', acks: [{ stream: 's', from: 1, to: 1 }] };
    expect(decode(ReportsDownMessageSchema, encode({ ...ack, extra: 1 }))).toEqual({
      ok: true,
      message: ack,
    });
  });
});
