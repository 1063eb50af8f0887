/**
 * Asks for the admin key and checks it with one API call before keeping it. A customer key is told it
 * is not an admin key; a wrong or revoked key that it was not accepted (signInMessage).
 */
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { ApiClient } from '../lib/api';
import { errorText } from '../lib/ui';
import { isAccessDenied, signInMessage } from './admin-session';

export function SignInForm(props: { notice: string | null; onSignedIn: (key: string) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(props.notice);
  const [checking, setChecking] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    document.title = 'Sign in · Tollgate admin';
    input.current?.focus();
  }, []);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const value = key.trim();
    if (value.length === 0) {
      setError('Enter the admin key.');
      input.current?.focus();
      return;
    }
    setChecking(true);
    setError(null);
    try {
      await new ApiClient(() => ({ kind: 'api-key', key: value })).get('/api/v1/admin/customers', {
        limit: 1,
      });
      props.onSignedIn(value);
    } catch (caught) {
      setError(
        isAccessDenied(caught)
          ? signInMessage(caught)
          : caught instanceof Error
            ? errorText(caught)
            : String(caught),
      );
      setChecking(false);
      input.current?.focus();
    }
  }

  return (
    <main className="tg-page tg-signin" id="main">
      <form className="tg-card tg-stack" onSubmit={submit} noValidate data-testid="sign-in-form">
        <h1>Tollgate admin</h1>
        <p className="tg-muted">Sign in with an admin key. It is kept for this browser tab only.</p>
        <div className="tg-field">
          <label htmlFor="admin-key">Admin key</label>
          <input
            ref={input}
            id="admin-key"
            name="admin-key"
            className="tg-input"
            type="password"
            autoComplete="current-password"
            spellCheck={false}
            value={key}
            onChange={(event) => setKey(event.target.value)}
            aria-invalid={error !== null}
            aria-describedby={error !== null ? 'sign-in-error' : undefined}
            data-testid="admin-key-input"
          />
        </div>
        <div role="alert" id="sign-in-error" data-testid="sign-in-error">
          {error !== null ? <p className="tg-error-text">{error}</p> : null}
        </div>
        <div>
          <button type="submit" className="tg-button" disabled={checking} data-testid="sign-in-submit">
            {checking ? 'Checking…' : 'Sign in'}
          </button>
        </div>
      </form>
    </main>
  );
}
