import { execFile } from 'node:child_process';
import { CP_BIN, ROOT } from './processes.js';

/**
 * Runs `tether-cp <args>` to completion (bounded; from the repository root unless `cwd`, with `env` added to this
 * process's); resolves with its exit code and output.
 */
export function runCp(
  args: string[],
  timeoutMs = 15_000,
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CP_BIN, ...args],
      { cwd: options.cwd ?? ROOT, timeout: timeoutMs, env: { ...process.env, ...options.env } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** `tether-cp token create --role R [--name N]` on a data dir: the token it printed. */
export async function createToken(dataDir: string, role: string, name?: string): Promise<string> {
  const args = ['token', 'create', '--role', role, '--data-dir', dataDir, ...(name ? ['--name', name] : [])];
  const { code, stdout, stderr } = await runCp(args);
  if (code !== 0) throw new Error(`token create failed (${code}): ${stderr}`);
  return (JSON.parse(stdout.trim()) as { token: string }).token;
}

/** Sums every sample of a Prometheus counter (optionally one label value) in /metrics text. */
export function counter(text: string, name: string, label?: string): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(name) && !l.startsWith('#') && (!label || l.includes(label)))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}
