import { TunnelEndpoint, type TunnelEndpointOptions, type TunnelRequest } from '@tether/shared';
import { ManualClock, MemoryBus } from './tunnel-fakes.js';

/** The caller's send topic (the callee's receive topic). */
export const UP = 'up';
/** The callee's send topic (the caller's receive topic). */
export const DOWN = 'down';

/** A request with every field set. */
export const req: TunnelRequest = {
  service: 's',
  method: 'POST',
  path: '/p',
  query: 'q=1',
  headers: [['h', 'v']],
  caller: 'c',
  hops: 1,
};

/** `n` chunks of `size` bytes, the i-th filled with i. */
export async function* chunks(n: number, size = 10): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < n; i++) yield new Uint8Array(size).fill(i % 256);
}
/** A turn that is over at once: every body streams (no inline first chunk), as a slow producer's would. */
export const streaming = { turn: () => Promise.resolve() };

/** The bytes of `parts`, in order. */
export function concat(parts: Uint8Array[]): number[] {
  return parts.flatMap((p) => [...p]);
}

/** Every chunk of a body. */
export async function collect(body: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const c of body) out.push(c);
  return out;
}

let opened: TunnelEndpoint[] = [];

/** Has `closePairs` close these endpoints too (ones a test made itself). */
export function track(...endpoints: TunnelEndpoint[]): void {
  opened.push(...endpoints);
}

/** Closes every endpoint `pair` opened (in each test file's afterEach). */
export async function closePairs(): Promise<void> {
  await Promise.all(opened.map((e) => e.close()));
  opened = [];
}

/** A caller and a callee endpoint over one in-memory bus, on a manual clock; malformed frames are collected. */
export async function pair(options: Partial<TunnelEndpointOptions> = {}) {
  const bus = new MemoryBus();
  const clock = new ManualClock();
  const malformed: string[] = [];
  const common = { clock, onMalformed: (r: string) => malformed.push(r), ...options };
  const caller = new TunnelEndpoint({
    transport: bus.transport(),
    sendTopic: UP,
    receiveTopic: DOWN,
    ...common,
  });
  const callee = new TunnelEndpoint({
    transport: bus.transport(),
    sendTopic: DOWN,
    receiveTopic: UP,
    ...common,
  });
  await caller.start();
  await callee.start();
  track(caller, callee);
  return { bus, clock, caller, callee, malformed };
}
