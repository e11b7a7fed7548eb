import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ValidationError } from '@tether/shared';
import { describeChange, summarize } from '../network/network-diff.js';
import { formatNetworkFile, parseNetworkFile } from '../network/network-file.js';
import { applyNetwork, readNetwork } from '../network/network-store.js';
import { dataDirOption, withDatabase, type DataDirFlags } from './data-dir.js';

/** The flags of `tether-cp apply`. */
interface ApplyFlags extends DataDirFlags {
  file: string;
  dryRun?: boolean;
  prune?: boolean;
}

function readFile(path: string): string {
  try {
    return path === '-' ? readFileSync(0, 'utf8') : readFileSync(path, 'utf8');
  } catch (err) {
    throw new ValidationError(`cannot read ${path} (-f): ${(err as Error).message}`, { cause: err });
  }
}

/**
 * `apply -f FILE`: makes the data dir's services, policies and tokens match the file; prints one line per change
 * (`+` added, `~` changed, `-` removed), then the secrets of the tokens it created (once).
 */
export function applyCommand(flags: ApplyFlags): void {
  const desired = parseNetworkFile(readFile(flags.file), flags.file === '-' ? 'stdin' : flags.file);
  const dryRun = flags.dryRun ?? false;
  const { changes, created } = withDatabase(flags.dataDir, dryRun ? 'existing' : 'create', (db, audit) =>
    applyNetwork(db, audit, desired, { prune: flags.prune ?? false, dryRun, now: Date.now() }),
  );
  const out: string[] = changes.map(describeChange);
  if (changes.length === 0) out.push(`no changes: the control plane matches ${flags.file}`);
  else out.push(`${summarize(changes)}${dryRun ? ' (dry run: nothing changed)' : ''}`);
  for (const t of created) out.push(`token ${t.name}: ${t.token}   (shown once; only its hash is stored)`);
  process.stdout.write(`${out.join('\n')}\n`);
}

/** `export`: prints the data dir's network in the format `apply` reads. */
export function exportCommand(flags: DataDirFlags): void {
  const state = withDatabase(flags.dataDir, 'existing', (db) => readNetwork(db));
  process.stdout.write(formatNetworkFile(state, new Date()));
}

/** Adds `apply` and `export` (the network as code) to `tether-cp`. */
export function addNetworkCommands(program: Command): void {
  program
    .command('apply')
    .description(
      "make the control plane's central services, policies and tokens match a network file (YAML or JSON)",
    )
    .requiredOption('-f, --file <file>', 'the network file (- reads stdin)')
    .option('--dry-run', 'print the changes, make none')
    .option('--prune', 'also remove what the sections of the file do not name')
    .addOption(dataDirOption())
    .action((flags: ApplyFlags) => applyCommand(flags));
  program
    .command('export')
    .description('print the central services, policies and tokens (by name, never secrets) as a network file')
    .addOption(dataDirOption())
    .action((flags: DataDirFlags) => exportCommand(flags));
}
