import { z } from 'zod';
import { AgentIdSchema, LabelsSchema, SiteSchema } from './ids.js';
import { RouteSchema } from './route.js';
import { AdvertiseStrategySchema } from './strategy.js';
import { formatZodError } from './zod-issues.js';
import { UpgradeChunkSchema, UpgradeOfferSchema } from './agent-upgrade.js';

/** The protocol version every message carries as `v`. */
export const PROTOCOL_VERSION = 1;
/**
 * The highest protocol version this code speaks. Messages keep `v: 1`, so a version 1 peer still reads them (its
 * schemas drop fields it does not know); what a later version adds is used only once the peer has said it speaks
 * it. 2: compressed report batches (`report-frame.ts`), offered by the hub in `report-ack.protocol`. 3: an agent
 * reconnecting unchanged sends `advert-resume` instead of a snapshot, offered by the hub in `agent-routes.protocol`.
 */
export const MAX_PROTOCOL_VERSION = 3;
/** The protocol version that adds `advert-resume` (docs/protocol.md, "Resuming after a reconnect"). */
export const RESUME_PROTOCOL_VERSION = 3;
/** The most routes one message may carry. */
export const MAX_ROUTES_PER_MESSAGE = 10_000;

// Strictness. Everything an agent sends the hub is a strict object at every depth: an unknown key refuses the
// whole message (`invalid_message`), so a misspelt field never passes as absent. No older agent sends a key the
// hub does not know (fields are only ever added, optional). What the hub sends an agent is read leniently (plain
// objects, `.strip()` where a schema serves both directions): hubs are upgraded before the agents in the field,
// and a newer hub may add an optional key that an older agent must ignore rather than refuse the message.

const v = z.literal(PROTOCOL_VERSION);
const epoch = z.string().min(1).max(64);
const seq = z.number().int().min(0);
const routes = z.array(RouteSchema).max(MAX_ROUTES_PER_MESSAGE);
const hubRoutes = z.array(RouteSchema.strip()).max(MAX_ROUTES_PER_MESSAGE);
const keys = z.array(z.string().max(4096)).max(MAX_ROUTES_PER_MESSAGE);

/** An agent's report outbox: reports not yet acknowledged by the hub, their body bytes, the oldest's age. */
export const OutboxStatsSchema = z.strictObject({
  depth: z.number().int().min(0),
  bytes: z.number().int().min(0),
  oldestAgeMs: z.number().int().min(0).nullable(),
  dropped: z.number().int().min(0),
  /** Time to send the backlog at the measured uplink rate, ms (null: no rate measured yet; older agents omit it). */
  drainEstimateMs: z.number().int().min(0).nullable().optional(),
  /** The measured uplink rate of report bytes, bytes/s (null: not measured yet; older agents omit it). */
  uplinkBytesPerSecond: z.number().min(0).nullable().optional(),
});
/** An agent's report outbox figures. */
export type OutboxStats = z.infer<typeof OutboxStatsSchema>;

/**
 * Agent -> hub: the whole advertised set, sent on every (re)connect and on request. Starts a new `epoch`; a set
 * too big for one packet goes in parts (`more`).
 */
export const AdvertSnapshotSchema = z.strictObject({
  v,
  type: z.literal('advert-snapshot'),
  epoch,
  seq,
  strategy: AdvertiseStrategySchema,
  site: SiteSchema,
  labels: LabelsSchema,
  routes,
  /** The agent's outbox figures (optional, for the operator's view; also on every digest). */
  outbox: OutboxStatsSchema.optional(),
  /**
   * More parts of this snapshot follow (a set too big for one packet): each part has the next seq in the same
   * epoch, and the hub applies the whole set once the last part (without `more`) arrived.
   */
  more: z.literal(true).optional(),
});

/** Agent -> hub: a change to the advertised set; `seq` is the previous message's plus one. */
export const AdvertDeltaSchema = z.strictObject({
  v,
  type: z.literal('advert-delta'),
  epoch,
  seq,
  upserts: routes,
  removes: keys,
});

/**
 * Agent -> hub: a digest of the advertised set at `seq`, sent now and then instead of the full table. It also
 * carries the agent's outbox figures (optional: older agents omit them) for the operator's view.
 */
export const AdvertDigestSchema = z.strictObject({
  v,
  type: z.literal('advert-digest'),
  epoch,
  seq,
  digest: z.string().min(1).max(128),
  count: z.number().int().min(0),
  outbox: OutboxStatsSchema.optional(),
});

/** Where a set of routes stands: its epoch and seq, and the digest and size of the set at that seq. */
const SyncPositionSchema = z.strictObject({
  epoch,
  seq,
  digest: z.string().min(1).max(128),
  count: z.number().int().min(0),
});
/** Where a set of routes stands. */
export type SyncPosition = z.infer<typeof SyncPositionSchema>;

/**
 * Agent -> hub (protocol 3, only to a hub that offered it): sent on a reconnect instead of a snapshot when the
 * agent's advertised set is what it last sent. It names where that set stands (epoch, seq, digest, count) and, in
 * `central`, where the hub's routes the agent holds stand. A hub whose stored routes match takes the agent back
 * without a snapshot, and answers with an empty `agent-routes` delta in the agent's central epoch (or a full one
 * when those differ); otherwise it answers `resync-request` and the agent sends a snapshot.
 */
export const AdvertResumeSchema = z.strictObject({
  v,
  type: z.literal('advert-resume'),
  epoch,
  seq,
  digest: z.string().min(1).max(128),
  count: z.number().int().min(0),
  strategy: AdvertiseStrategySchema,
  site: SiteSchema,
  labels: LabelsSchema,
  central: SyncPositionSchema.optional(),
  outbox: OutboxStatsSchema.optional(),
});

/** Either side: "send me a snapshot", after a gap, a digest mismatch or an unknown epoch. */
export const ResyncRequestSchema = z.strictObject({
  v,
  type: z.literal('resync-request'),
  reason: z.string().max(256),
});

/** Hub -> agent: the central routes the agent may see; `full` replaces the agent's set, else a delta. */
export const AgentRoutesSchema = z.object({
  v,
  type: z.literal('agent-routes'),
  epoch,
  seq,
  full: z.boolean(),
  upserts: hubRoutes,
  removes: keys,
  /** The highest protocol version the hub speaks (3 offers `advert-resume`); older hubs omit it. */
  protocol: z.number().int().min(1).optional(),
});

/** Agent -> everyone, retained: online when connected, offline as its Last Will. */
export const AgentStatusSchema = z.strictObject({
  v,
  type: z.literal('agent-status'),
  agentId: AgentIdSchema,
  status: z.enum(['online', 'offline']),
  strategy: AdvertiseStrategySchema.optional(),
  site: SiteSchema.optional(),
  labels: LabelsSchema.optional(),
  version: z.string().max(64).optional(),
  at: z.number().int().min(0),
});

/** Hub -> agent: something the agent sent was refused, and why. */
export const ErrorMessageSchema = z.object({
  v,
  type: z.literal('error'),
  code: z.string().max(64),
  message: z.string().max(1024),
});

/**
 * Hub -> agent (inbox, QoS 1): the agent's new secret after `POST /api/v1/agents/:id/rotate`. Old and new both
 * work until the agent acknowledges `rotation` or connects with the new secret. Re-sent on every inbox
 * subscription while unconfirmed. Never retained, never logged.
 */
export const CredentialRotateSchema = z.object({
  v,
  type: z.literal('credential-rotate'),
  rotation: z.string().min(1).max(64),
  secret: z.string().min(16).max(256),
});

/** Agent -> hub (credentials topic): the agent stored the secret of `rotation`; the old secret may go. */
export const CredentialAckSchema = z.strictObject({
  v,
  type: z.literal('credential-ack'),
  rotation: z.string().min(1).max(64),
});

/** Everything an agent may publish on its credentials topic. */
export const CredentialMessageSchema = z.discriminatedUnion('type', [CredentialAckSchema]);

/** Everything an agent may publish on its advert topic. */
export const AdvertMessageSchema = z.discriminatedUnion('type', [
  AdvertSnapshotSchema,
  AdvertDeltaSchema,
  AdvertDigestSchema,
  AdvertResumeSchema,
  ResyncRequestSchema,
]);

/** Everything the hub may publish on an agent's inbox topic. */
export const InboxMessageSchema = z.discriminatedUnion('type', [
  AgentRoutesSchema,
  ResyncRequestSchema.strip(),
  ErrorMessageSchema,
  CredentialRotateSchema,
  UpgradeOfferSchema,
  UpgradeChunkSchema,
]);

export type AdvertSnapshot = z.infer<typeof AdvertSnapshotSchema>;
export type AdvertDelta = z.infer<typeof AdvertDeltaSchema>;
export type AdvertDigest = z.infer<typeof AdvertDigestSchema>;
export type AdvertResume = z.infer<typeof AdvertResumeSchema>;
export type ResyncRequest = z.infer<typeof ResyncRequestSchema>;
export type AgentRoutes = z.infer<typeof AgentRoutesSchema>;
export type AgentStatus = z.infer<typeof AgentStatusSchema>;
export type ErrorMessage = z.infer<typeof ErrorMessageSchema>;
export type AdvertMessage = z.infer<typeof AdvertMessageSchema>;
export type InboxMessage = z.infer<typeof InboxMessageSchema>;
export type CredentialRotate = z.infer<typeof CredentialRotateSchema>;
export type CredentialAck = z.infer<typeof CredentialAckSchema>;
export type CredentialMessage = z.infer<typeof CredentialMessageSchema>;

/** Why a payload was refused: too big, not JSON, not of the schema, or a compressed frame that cannot be read. */
export type DecodeFailure = 'too_large' | 'not_json' | 'schema' | 'frame';

/** The outcome of decoding a payload: the message, or why it was refused and a readable explanation. */
export type Decoded<T> = { ok: true; message: T } | { ok: false; reason: DecodeFailure; error: string };

/** Default cap on one message's payload (bytes) before it is even parsed. */
export const DEFAULT_MAX_PAYLOAD = 4 * 1024 * 1024;

/** Decodes and validates one payload against a schema: size check, JSON parse, then `safeParse`. Never throws. */
export function decode<T>(
  schema: z.ZodType<T>,
  payload: Uint8Array | string,
  maxBytes: number = DEFAULT_MAX_PAYLOAD,
): Decoded<T> {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > maxBytes)
    return { ok: false, reason: 'too_large', error: `payload of ${size} bytes exceeds ${maxBytes}` };
  let json: unknown;
  try {
    json = JSON.parse(typeof payload === 'string' ? payload : new TextDecoder().decode(payload));
  } catch (err) {
    return { ok: false, reason: 'not_json', error: `not JSON: ${(err as Error).message}` };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    return { ok: false, reason: 'schema', error: formatZodError(parsed.error).slice(0, 1000) };
  return { ok: true, message: parsed.data };
}

/** Encodes a message for the wire. */
export function encode(message: object): string {
  return JSON.stringify(message);
}
