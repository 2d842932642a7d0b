/** Asks for the admin token and keeps it for this tab once the service accepts it. */
import { useState } from 'preact/hooks';
import { checkToken } from '../api/admin.js';
import { ApiFailure, describe } from '../api/client.js';
import { Notice } from '../components/notice.js';
import { session } from '../session.js';

export function SignIn(props: { onSignedIn: () => void; notice: string | undefined }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await checkToken(token.trim());
      session.signIn(token.trim());
      props.onSignedIn();
    } catch (err) {
      setError(
        err instanceof ApiFailure && err.status === 401
          ? 'The service refused this token.'
          : describe(err),
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="sign-in">
      <form onSubmit={submit} aria-label="Sign in">
        <h1>webhook-processor</h1>
        <p class="muted">Sign in with the service's ADMIN_TOKEN.</p>
        {props.notice && !error && <Notice kind="warn">{props.notice}</Notice>}
        {error && <Notice kind="error">{error}</Notice>}
        <label for="token">
          <span>Admin token</span>
          <input
            id="token"
            type="password"
            autocomplete="off"
            required
            value={token}
            onInput={(e) => setToken(e.currentTarget.value)}
          />
        </label>
        <button type="submit" class="primary" disabled={busy || token.trim() === ''}>
          Sign in
        </button>
        <p class="muted small">
          The token stays in this tab (sessionStorage) until you sign out or close it.
        </p>
      </form>
    </main>
  );
}
