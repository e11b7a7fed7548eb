import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { accepting, freePort } from './ports.js';

/** A throwaway redis-server on a free loopback port, without persistence. */
export interface RedisServer {
  port: number;
  url: string;
  /** Kills it (SIGKILL: everything in it is lost, as in a crash). */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty). */
  start(): Promise<void>;
  /** The running server's process id (a benchmark reads its CPU time). */
  pid(): number | undefined;
}

/** Starts `redis-server --port N --save '' --appendonly no` (installed by .ci/run); killed by `kill()`. */
export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const redis: RedisServer = {
    port,
    pid: () => child?.pid,
    url: `redis://127.0.0.1:${port}`,
    kill: async () => {
      if (!child || child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
    start: async () => {
      child = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore' },
      );
      process.once('exit', () => child?.kill('SIGKILL'));
      for (let i = 0; i < 100 && !(await accepting(port)); i++) await new Promise((r) => setTimeout(r, 50));
      if (!(await accepting(port))) throw new Error(`redis-server did not start on port ${port}`);
    },
  };
  await redis.start();
  return redis;
}
