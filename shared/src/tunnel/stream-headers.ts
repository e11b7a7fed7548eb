import { z } from 'zod';
import { isCallMethod, isCanonicalPath, isCleanQuery } from '../request-target.js';

/** An HTTP token (RFC 9110): a header name, a protocol name. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** A header value a peer may hand us to write on a socket: no CR, LF, NUL or other control byte but tab. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** An `Upgrade` header value: protocol[/version], comma-separated. */
const UPGRADE_LIST =
  /^[!#$%&'*+.^_`|~0-9A-Za-z-]+(\/[!#$%&'*+.^_`|~0-9A-Za-z-]+)?(\s*,\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+(\/[!#$%&'*+.^_`|~0-9A-Za-z-]+)?)*$/;

/**
 * Header pairs that are safe to write raw on a socket (a 101 head is written by hand, not by node:http): token
 * names, values without CR or LF. What a peer sends in a stream's OPEN or ACCEPT is checked against it at ingress.
 */
export const SafeHeaderListSchema = z
  .array(z.tuple([z.string().min(1).max(1024).regex(TOKEN), z.string().max(65_536).regex(FIELD_VALUE)]))
  .max(1000);

/** An `Upgrade` header value (`websocket`, `h2c`, `foo/2, bar`). */
export const UpgradeValueSchema = z.string().min(1).max(256).regex(UPGRADE_LIST);

const openBase = {
  service: z.string().min(1).max(128),
  /** The route address the hub chose (the agent checks it is one of its own). */
  target: z.string().max(2048).optional(),
  /** The agent id, or `central:<name>` for a client of the control plane. */
  caller: z.string().min(1).max(200),
  hops: z.number().int().min(0).max(100),
  /** How long the acceptor may take to connect before it refuses the stream (relative ms). */
  timeoutMs: z.number().int().min(0).max(86_400_000),
};

/** OPEN of a raw TCP connection to a `tcp://` service. */
export const TcpOpenSchema = z.strictObject({ ...openBase, protocol: z.literal('tcp') });

/**
 * OPEN of an HTTP Upgrade (a WebSocket) to an `http(s)://` service: the request head, which passes the same checks
 * as a REQUEST's (canonical path, a method other than CONNECT and TRACE), plus the `Upgrade` value asked for.
 */
export const HttpOpenSchema = z.strictObject({
  ...openBase,
  protocol: z.literal('http'),
  method: z.string().min(1).max(32).refine(isCallMethod, 'an upper-case method token, not CONNECT or TRACE'),
  path: z.string().max(8192).refine(isCanonicalPath, 'a canonical path (see parseRequestTarget)'),
  query: z.string().max(65_536).refine(isCleanQuery, 'printable ASCII without #'),
  headers: SafeHeaderListSchema,
  upgrade: UpgradeValueSchema,
});

/** The head of an OPEN: what to connect to, for whom, and how. */
export const OpenHeaderSchema = z.discriminatedUnion('protocol', [TcpOpenSchema, HttpOpenSchema]);
/** The head of an OPEN. */
export type OpenHeader = z.infer<typeof OpenHeaderSchema>;

/**
 * The head of an ACCEPT: `{}` for TCP; for an HTTP Upgrade the upstream's answer: 101 with the protocol switched
 * to (`upgrade`), or a final status whose body follows as the stream's bytes (then SHUT).
 */
export const AcceptHeaderSchema = z.strictObject({
  status: z
    .number()
    .int()
    .refine((s) => s === 101 || (s >= 200 && s <= 599), '101 or a final status')
    .optional(),
  upgrade: UpgradeValueSchema.optional(),
  headers: SafeHeaderListSchema.optional(),
});
/** The head of an ACCEPT. */
export type AcceptHeader = z.infer<typeof AcceptHeaderSchema>;

/** GRANT: the receiver consumed `n` more bytes of the stream; the sender may send that many more. */
export const GrantHeaderSchema = z.strictObject({
  n: z
    .number()
    .int()
    .min(1)
    .max(2 ** 30),
});
