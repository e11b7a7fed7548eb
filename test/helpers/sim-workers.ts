import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { FromWorker, ToWorker } from '../bench/sim-agents.js';

/** Sends a simulator worker (test/bench/sim-agents.ts) one command; resolves with its first `until` answer. */
export function callWorker(w: ChildProcess, msg: ToWorker, until: FromWorker['evt']): Promise<FromWorker> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: FromWorker): void => {
      if (m.evt !== until) return;
      w.off('message', onMessage);
      resolve(m);
    };
    w.on('message', onMessage);
    w.once('exit', (code) => reject(new Error(`simulator worker exited with ${code}`)));
    w.send(msg);
  });
}

/** A simulator worker process (test/bench/sim-agents.ts, run through tsx). */
export const forkSimWorker = (): ChildProcess =>
  fork(join(import.meta.dirname, '../bench/sim-agents.ts'), [], { execArgv: ['--import', 'tsx'] });

/** A control-plane config whose connection rate limits never slow a simulated fleet (their own tests cover them). */
export const RAW_CAPACITY = {
  limits: {
    connectRate: { perSecond: 100_000, burst: 100_000 },
    admissionRate: { perSecond: 100_000, burst: 100_000 },
  },
};
