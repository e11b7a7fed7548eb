/** Something with the control plane's API (a ControlPlane or a replica). */
interface HasApi {
  api<T = unknown>(path: string, init?: RequestInit): Promise<{ status: number; body: T }>;
}

/**
 * Every item of a paged listing (`GET /api/v1/routes`, `/agents`, ...): follows nextCursor, 1,000 a page, to the
 * end (at most `maxPages` pages, else it throws).
 */
export async function listAll<T>(cp: HasApi, path: string, key: string, maxPages = 1_000): Promise<T[]> {
  const items: T[] = [];
  const sep = path.includes('?') ? '&' : '?';
  let cursor: string | null = null;
  for (let page = 0; page < maxPages; page++) {
    const at: string = `${path}${sep}limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await cp.api<Record<string, unknown>>(at);
    if (res.status !== 200) throw new Error(`GET ${at}: ${res.status} ${JSON.stringify(res.body)}`);
    items.push(...(res.body[key] as T[]));
    cursor = res.body.nextCursor as string | null;
    if (cursor === null) return items;
  }
  throw new Error(`GET ${path}: still more after ${maxPages} pages`);
}
