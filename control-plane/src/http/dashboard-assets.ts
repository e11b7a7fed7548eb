import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from 'hono';
import { defineRoute } from '@tether/shared';
import { DASHBOARD_PAGES } from '../api/dashboard-pages.js';
import type { ApiRoute } from './routes/api-route.js';

/** Where `pnpm build` puts the dashboard: `dist/dashboard` of this package (from `src/http` or `dist/http`). */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../dist/dashboard/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** The page's Content-Security-Policy: everything from this origin, nothing inline, nothing from elsewhere. */
const CSP =
  "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
  /** Vite's hashed files (`assets/name-HASH.ext`) never change under their name. */
  immutable: boolean;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** Loads every built file into memory (the dashboard is small); an empty map when it was not built. */
export function loadAssets(dir: string = DASHBOARD_DIR): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!existsSync(dir)) return assets;
  for (const file of walk(dir)) {
    const path = `/${relative(dir, file).split(sep).join('/')}`;
    const body = readFileSync(file);
    assets.set(path, {
      body,
      type: TYPES[extname(file)] ?? 'application/octet-stream',
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
      immutable: path.startsWith('/assets/'),
    });
  }
  return assets;
}

function send(c: Context, asset: Asset): Response {
  const headers: Record<string, string> = {
    'content-type': asset.type,
    'cache-control': asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    etag: asset.etag,
    'x-content-type-options': 'nosniff',
  };
  if (asset.type.startsWith('text/html')) {
    headers['content-security-policy'] = CSP;
    headers['referrer-policy'] = 'no-referrer';
  }
  if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304, headers);
  return c.body(new Uint8Array(asset.body), 200, headers);
}

/** File paths served as they are (Vite's names); anything else in the build is not served. */
const SERVABLE = /^\/[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/;

/**
 * The dashboard's routes (public: they hold no data; the page then asks for a token): `index.html` at each of
 * DASHBOARD_PAGES (so deep links and reloads work), and each built file at its own path (hashed assets cached for a
 * year, the rest revalidated by ETag). Nothing else: an unknown path is the API's JSON 404.
 */
export function dashboardRoutes(assets: Map<string, Asset> = loadAssets()): ApiRoute[] {
  const page = (c: Context): Response => {
    const index = assets.get('/index.html');
    if (!index)
      return c.text('The dashboard is not built: run `pnpm build` (the API is at /api/v1).', 503, {
        'cache-control': 'no-store',
      });
    return send(c, index);
  };
  const common = {
    method: 'get',
    access: 'public',
    tag: 'dashboard',
    responses: {},
    undocumented: true,
  } as const;
  const pages = DASHBOARD_PAGES.map((path) =>
    defineRoute({ ...common, path, summary: `The dashboard's page ${path}`, handle: page }),
  );
  const files = [...assets]
    .filter(([path]) => path !== '/index.html' && SERVABLE.test(path))
    .map(([path, asset]) =>
      defineRoute({
        ...common,
        path,
        summary: `The dashboard's file ${path}`,
        handle: (c) => send(c, asset),
      }),
    );
  return [...pages, ...files];
}
