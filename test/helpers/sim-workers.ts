import type { ChildProcess } from 'node:child_process';
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
