import { isSea } from 'node:sea';

/** The build of the agent this process runs: what starts it again, and the file an upgrade replaces. */
export interface ThisBuild {
  /** `executable`: the single executable; `script`: node running the bundle (or the workspace's bin). */
  kind: 'executable' | 'script';
  /** The file an upgrade swaps: the executable, or the script. */
  file: string;
  /** The command that starts this build with other arguments: `[file]` or `[node, file]`. */
  command: string[];
}

/** The build this process runs. */
export function thisBuild(): ThisBuild {
  if (isSea()) return { kind: 'executable', file: process.execPath, command: [process.execPath] };
  const script = process.argv[1] ?? '';
  return { kind: 'script', file: script, command: [process.execPath, script] };
}
