import { computed, signal } from '@preact/signals';
import { api, ApiError, setToken, unauthorized } from './api.js';
import type { Role, WhoAmI } from './types.js';

/** Who is looking: `checking` at first, `login` when a token is needed, `ready` once known. */
export interface Session {
  state: 'checking' | 'login' | 'ready';
  role: Role;
  name: string | null;
  /** False when the server has no token auth (no /whoami): everyone is admin. */
  authEnabled: boolean;
  error: string | null;
}

/** The current session. */
export const session = signal<Session>({
  state: 'checking',
  role: 'viewer',
  name: null,
  authEnabled: false,
  error: null,
});

/** True when the user may change things (policies, revoke, rotate). */
export const isAdmin = computed(() => session.value.role === 'admin');

/**
 * Asks `GET /api/v1/whoami` who the token is; a refusal (401) or any failure shows the login form.
 */
export async function checkSession(): Promise<void> {
  try {
    const me = await api<WhoAmI>('/api/v1/whoami');
    unauthorized.value = false;
    session.value = {
      state: 'ready',
      role: me.token.role,
      name: me.token.name,
      authEnabled: true,
      error: null,
    };
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      session.value = {
        ...session.value,
        state: 'login',
        error: session.value.state === 'login' ? 'token refused' : null,
      };
    } else {
      session.value = { ...session.value, state: 'login', error: (err as Error).message };
    }
  }
}

/** Stores the token for this tab and checks it. */
export async function signIn(value: string): Promise<void> {
  setToken(value.trim());
  session.value = { ...session.value, state: 'login', error: null };
  await checkSession();
  if (session.value.state !== 'ready') session.value = { ...session.value, error: 'token refused' };
}

/** Forgets the token. */
export function signOut(): void {
  setToken(null);
  session.value = { state: 'login', role: 'viewer', name: null, authEnabled: true, error: null };
}
