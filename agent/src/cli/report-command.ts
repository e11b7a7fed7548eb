import { createInterface } from 'node:readline';

/** The agent API `tether-agent report` posts to unless told otherwise. */
export const DEFAULT_API = 'http://127.0.0.1:7070';
/** Lines per POST: large inputs go in several requests, each durable before the next. */
const LINES_PER_REQUEST = 1000;

/** Where the agent API is and its token, if it needs one. */
export interface AgentApi {
  url: string;
  token?: string | undefined;
}

async function post(api: AgentApi, stream: string, lines: string[]): Promise<string | undefined> {
  const url = `${api.url.replace(/\/+$/, '')}/v1/reports/${encodeURIComponent(stream)}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-ndjson',
        ...(api.token ? { authorization: `Bearer ${api.token}` } : {}),
      },
      body: `${lines.join('\n')}\n`,
    });
  } catch (err) {
    return `no agent API is listening at ${api.url} (${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}): start \`tether-agent run\` or pass --api`;
  }
  const text = await res.text();
  if (res.status === 202) return undefined;
  return `${res.status} ${text}`;
}

/**
 * `tether-agent report <stream>`: reads NDJSON from `input`, posts it to the agent API in chunks and prints one
 * JSON summary line. Returns the exit code: 0 when every line was accepted, 1 otherwise (nothing after the
 * first refused chunk is sent; the chunks before it are durable).
 */
export async function reportFromStdin(
  stream: string,
  api: AgentApi,
  input: NodeJS.ReadableStream = process.stdin,
  out: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  let accepted = 0;
  let chunk: string[] = [];
  const flush = async (): Promise<string | undefined> => {
    if (chunk.length === 0) return undefined;
    const error = await post(api, stream, chunk);
    if (!error) accepted += chunk.length;
    chunk = [];
    return error;
  };
  try {
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      if (line.trim() === '') continue;
      chunk.push(line);
      if (chunk.length >= LINES_PER_REQUEST) {
        const error = await flush();
        if (error) return fail(out, accepted, error);
      }
    }
    const error = await flush();
    if (error) return fail(out, accepted, error);
  } catch (err) {
    return fail(out, accepted, (err as Error).message);
  }
  out.write(`${JSON.stringify({ stream, accepted })}\n`);
  return 0;
}

function fail(out: NodeJS.WritableStream, accepted: number, error: string): number {
  out.write(`${JSON.stringify({ accepted, error })}\n`);
  return 1;
}
