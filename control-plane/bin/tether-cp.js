#!/usr/bin/env node
// Entry shim: runs the compiled CLI (`pnpm build` produces dist/). First: V8 flags before anything else is evaluated.
import '../dist/v8-flags.js';
import { main } from '../dist/cli/main.js';

await main(process.argv);
