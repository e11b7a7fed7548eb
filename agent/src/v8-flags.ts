import { setFlagsFromString } from 'node:v8';

/**
 * The V8 flags the agent sets on itself, first thing, before the rest of it is evaluated: `TETHER_V8_FLAGS` if set
 * (empty: none), else `--optimize-for-size`. Without it an idle agent kept the garbage of its start-up (~8 MiB of
 * heap) until V8's memory reducer ran, ~16 s after start on a quiet machine and not within 20 s on a loaded one;
 * with it the heap stays near its live size (pnpm bench:footprint: 61 -> 55 MiB idle, no measurable CPU cost per
 * local API request). Set here rather than on the command line so that `node tether-agent.mjs` and the single
 * executable both get it.
 */
export const AGENT_V8_FLAGS = process.env.TETHER_V8_FLAGS ?? '--optimize-for-size';

if (AGENT_V8_FLAGS.trim() !== '') setFlagsFromString(AGENT_V8_FLAGS);
