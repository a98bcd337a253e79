/** @module screens/Welcome: create an account whose keys live in this browser. */
import { useState, type FormEvent } from 'react';
import { useAction } from '../app/hooks.js';

export function Welcome({ onRegister }: { onRegister: (username: string, invite: string) => Promise<void> }) {
  const [username, setUsername] = useState('');
  const [invite, setInvite] = useState('');
  const [run, error, busy] = useAction();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(() => onRegister(username.trim().toLowerCase(), invite.trim()));
  };

  return (
    <main className="center-screen">
      <div className="card welcome">
        <div className="logo" aria-hidden="true">S</div>
        <h1>Sotto</h1>
        <p className="lead">Messages and calls that only you and the people you choose can read or hear.</p>
        <form onSubmit={submit} aria-label="Create your account">
          <label htmlFor="username">Username</label>
          <input
            id="username" name="username" autoComplete="username" autoCapitalize="none" spellCheck={false} required
            minLength={3} maxLength={32} pattern="[a-z0-9_.\-]{3,32}" value={username} onChange={(e) => setUsername(e.target.value)}
            aria-describedby="username-help" autoFocus
          />
          <p id="username-help" className="help">3–32 characters: lower-case letters, digits, “_”, “.” and “-”.</p>
          <label htmlFor="invite">Invite code <span className="optional">(if your server asks for one)</span></label>
          <input id="invite" name="invite" autoComplete="off" value={invite} onChange={(e) => setInvite(e.target.value)} />
          {error && <p className="error" role="alert">{error}</p>}
          <button type="submit" className="primary" disabled={busy}>{busy ? 'Creating keys…' : 'Create account'}</button>
        </form>
        <p className="help">
          Your keys are made and kept in this browser; the server never sees them or your messages.
          This browser signs you in by itself next time. Clearing its site data deletes the account from it for good.
        </p>
      </div>
    </main>
  );
}
