/** One echo call through a TunnelEndpoint, as bench:tunnel's (c) and bench:tunnel-inproc make it. */
import type { TunnelEndpoint } from '@tether/shared';

const HEAD = {
  service: 'echo',
  method: 'POST',
  path: '/',
  query: '',
  headers: [],
  caller: 'central',
  hops: 1,
};

/** Calls `echo` through `endpoint` with `body`; resolves with the bytes of the answer's body. */
export async function echoCall(endpoint: Pick<TunnelEndpoint, 'call'>, body: Uint8Array): Promise<number> {
  const res = await endpoint.call(HEAD, {
    timeoutMs: 30_000,
    body: (async function* () {
      yield body;
    })(),
  });
  let n = 0;
  for await (const chunk of res.body) n += chunk.byteLength;
  return n;
}
