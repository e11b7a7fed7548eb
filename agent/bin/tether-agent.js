#!/usr/bin/env node
// Entry shim: runs the compiled CLI (`pnpm build` produces dist/).
import '../dist/v8-flags.js';
import { main } from '../dist/cli/main.js';

await main(process.argv);
