import { setFlagsFromString } from 'node:v8';

/**
 * The agent's default V8 flags. `--heap-growing-percent=200` lets the old generation grow to 3x its live size
 * before the next full collection (V8 picks a factor of 1.1 to 4 on its own). Under 64 KiB calls V8's own choice
 * fell, run after run, to one incremental mark-compact every ~80 calls (38-125 per 9,500 calls against 5-7 with
 * the flag) and the agent's CPU per call doubled (bimodal 300 / 750 us). An idle agent allocates little, so its
 * heap does not grow for it.
 */
export const DEFAULT_V8_FLAGS = '--heap-growing-percent=200';

/**
 * The V8 flags the agent sets on itself, first thing, before the rest of it is evaluated: `TETHER_V8_FLAGS`
 * (replacing DEFAULT_V8_FLAGS; empty for none). Set here rather than on the command line so that
 * `node tether-agent.mjs` and the single executable both take them. `--optimize-for-size` was the default for a
 * while: it kept an idle agent's heap near its live size but cost ~18% more agent CPU per tunnelled request
 * (bench:tunnel TCP, 54 -> 64 us); one collection after start (collectStartupGarbage) saves the same memory for
 * nothing.
 */
export const AGENT_V8_FLAGS = process.env.TETHER_V8_FLAGS ?? DEFAULT_V8_FLAGS;

if (AGENT_V8_FLAGS.trim() !== '') setFlagsFromString(AGENT_V8_FLAGS);
