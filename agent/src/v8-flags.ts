import { setFlagsFromString } from 'node:v8';

/**
 * The V8 flags the agent sets on itself, first thing, before the rest of it is evaluated: `TETHER_V8_FLAGS` (none
 * by default). Set here rather than on the command line so that `node tether-agent.mjs` and the single executable
 * both take them. `--optimize-for-size` was the default for a while: it kept an idle agent's heap near its live size
 * but cost ~18% more agent CPU per tunnelled request (bench:tunnel TCP, 54 -> 64 us); one collection after start
 * (collectStartupGarbage) saves the same memory for nothing.
 */
export const AGENT_V8_FLAGS = process.env.TETHER_V8_FLAGS ?? '';

if (AGENT_V8_FLAGS.trim() !== '') setFlagsFromString(AGENT_V8_FLAGS);
