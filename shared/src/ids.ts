import { z } from 'zod';

/** The reserved origin name of routes the control plane itself owns. */
export const CENTRAL = 'central';

/** Agent ids are safe inside MQTT topics and URLs: letters, digits, `-` and `_`, 1 to 64 characters. */
export const AgentIdSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/,
    'letters, digits, "-" or "_", 1-64 characters, not starting with - or _',
  )
  .refine((id) => id !== CENTRAL, `"${CENTRAL}" is reserved`);

/** Service names: letters, digits, `.`, `-`, `_`, 1 to 128 characters. */
export const ServiceNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'letters, digits, ".", "-" or "_", 1-128 characters');

/** Site names: free text without control characters, at most 64 characters. */
export const SiteSchema = z
  .string()
  .max(64)
  .regex(/^[^\p{Cc}]*$/u, 'no control characters');

/** Labels: at most 32 short string pairs. */
export const LabelsSchema = z
  .record(z.string().min(1).max(64), z.string().max(256))
  .refine((l) => Object.keys(l).length <= 32, 'at most 32 labels');

/** Key/value labels attached to agents, routes and services. */
export type Labels = Record<string, string>;
