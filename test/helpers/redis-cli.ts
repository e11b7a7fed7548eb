import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

/** What one `redis-cli` run printed and how it ended. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `redis-cli -p PORT ARGS...` (Debian `redis-tools`), `input` on its stdin; killed after `timeoutMs`. */
export async function redisCli(
  port: number,
  args: readonly string[],
  { input, timeoutMs = 20_000 }: { input?: Uint8Array; timeoutMs?: number } = {},
): Promise<CliResult> {
  const child = spawn('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => err.push(d));
  child.stdin.on('error', () => undefined);
  child.stdin.end(input);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

/** A `redis-cli` left running (MONITOR, SUBSCRIBE): its output so far, and its end. */
export interface HeldCli {
  child: ChildProcessByStdio<Writable, Readable, Readable>;
  output(): string;
  exited: Promise<number | null>;
}

/** Starts `redis-cli -p PORT ARGS...` and leaves it running. */
export function holdRedisCli(port: number, args: readonly string[]): HeldCli {
  const child = spawn('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr.on('data', (d: Buffer) => (text += d.toString()));
  process.once('exit', () => child.kill('SIGKILL'));
  const exited = new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  return { child, output: () => text, exited };
}
