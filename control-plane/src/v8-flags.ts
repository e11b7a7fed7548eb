import { setFlagsFromString } from 'node:v8';

/**
 * The control plane's default V8 flags, as the agent's (agent/src/v8-flags.ts). `--heap-growing-percent=200` lets
 * the old generation grow to 3x its live size before the next full collection. Under 64 KiB calls V8's own choice
 * fell, in some runs, to an incremental mark-compact every ~50 calls (31 in 3,000 sequential calls against 3 with
 * the flag) and the control plane's CPU per call went from ~500 to 850-1,570 us. A control plane's live heap is
 * tens of MiB: the headroom costs little on a central host.
 */
export const DEFAULT_CP_V8_FLAGS = '--heap-growing-percent=200';

/**
 * The V8 flags `tether-cp` sets on itself, first thing (bin/tether-cp.js imports this module before the CLI):
 * `TETHER_V8_FLAGS` (replacing DEFAULT_CP_V8_FLAGS; empty for none). A program embedding the control plane as a
 * library keeps its own.
 */
export const CP_V8_FLAGS = process.env.TETHER_V8_FLAGS ?? DEFAULT_CP_V8_FLAGS;

if (CP_V8_FLAGS.trim() !== '') setFlagsFromString(CP_V8_FLAGS);
