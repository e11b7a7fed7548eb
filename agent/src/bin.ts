// First: V8 flags before anything else is evaluated (pnpm bench:footprint).
import './v8-flags.js';
import { main } from './cli/main.js';

// The bundle's entry (scripts/bundle.js): run the CLI with this process's arguments.
await main(process.argv);
