import { signal } from '@preact/signals';

const TOKEN_KEY = 'tether.token';

/** The bearer token of this browser tab (sessionStorage: gone when the tab closes). */
export const token = signal<string | null>(sessionStorage.getItem(TOKEN_KEY));

/** Stores (or with null, forgets) the session's token. */
export function setToken(value: string | null): void {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
  token.value = value;
}

/** Set when the server answers 401: the app shows the login form. */
export const unauthorized = signal(false);

/** A failed API call: the HTTP status and the server's `{"error":{"code","message"}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const h: Record<string, string> = { accept: 'application/json', ...extra };
  if (token.value) h.authorization = `Bearer ${token.value}`;
  return h;
}

/** Calls the API with the session's token; resolves with the JSON body (undefined for 204), throws ApiError. */
export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(path, {
    method: init.method ?? 'GET',
    headers: headers(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  if (res.status === 401) unauthorized.value = true;
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(
      res.status,
      error?.code ?? 'http_error',
      error?.message ?? `${res.status} ${res.statusText}`,
    );
  }
  return body as T;
}

/**
 * Opens one of the API's WebSockets. The token rides in a `bearer.<token>` subprotocol (browsers cannot set
 * headers on a WebSocket); the server answers `tether.v1`.
 */
export function openSocket(path: string): WebSocket {
  const url = new URL(path, location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const protocols = ['tether.v1', ...(token.value ? [`bearer.${token.value}`] : [])];
  return new WebSocket(url, protocols);
}
