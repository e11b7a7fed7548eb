import { useState } from 'preact/hooks';
import type { JSX } from 'preact';
import { session, signIn } from '../session.js';

/** Asks for an API token; it is kept in this tab's sessionStorage only. */
export function Login(): JSX.Element {
  const [value, setValue] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    if (!value.trim()) return;
    setBusy(true);
    await signIn(value);
    setBusy(false);
  };
  return (
    <div class="login">
      <form onSubmit={(e) => void submit(e)}>
        <h1>Tether</h1>
        <p>This control plane needs an API token.</p>
        <label>
          Token
          <input
            type="password"
            autocomplete="off"
            value={value}
            data-testid="login-token"
            onInput={(e) => setValue(e.currentTarget.value)}
          />
        </label>
        <button class="primary" type="submit" disabled={busy}>
          Sign in
        </button>
        {session.value.error ? (
          <p class="bad" role="alert">
            {session.value.error}
          </p>
        ) : null}
        <p class="muted" data-testid="login-where">
          The first admin token is in the file <code>admin-token</code> of the control plane's data directory
          (<code>DATA_DIR/admin-token</code>, <code>./data</code> unless <code>--data-dir</code> or{' '}
          <code>TETHER_DATA_DIR</code> says otherwise): <code>cat data/admin-token</code>. More tokens:{' '}
          <code>tether-cp token create</code>.
        </p>
        <p class="muted">Kept for this browser tab only (sessionStorage).</p>
      </form>
    </div>
  );
}
