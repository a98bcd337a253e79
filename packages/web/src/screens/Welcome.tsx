/**
 * @module screens/Welcome
 * The two ways in: create an account whose keys live in this browser, or link this browser to
 * an account another device already has (with the one-time code that device shows).
 */
import { useState, type FormEvent } from 'react';
import { LINK_FRAGMENT } from '@sotto/core';
import { useAction } from '../app/hooks.js';
import { linkErrorText } from '../app/error-text.js';

interface WelcomeProps {
  readonly onRegister: (username: string, invite: string) => Promise<void>;
  readonly onLink: (code: string) => Promise<void>;
}

/** The code in `#link=<code>`, the address a linking device's QR code holds. */
function codeFromAddress(): string | undefined {
  const prefix = `#${LINK_FRAGMENT}`;
  return location.hash.startsWith(prefix) ? decodeURIComponent(location.hash.slice(prefix.length)) : undefined;
}

export function Welcome({ onRegister, onLink }: WelcomeProps) {
  const [scanned] = useState(codeFromAddress);
  const [mode, setMode] = useState<'register' | 'link'>(scanned ? 'link' : 'register');

  return (
    <main className="center-screen">
      <div className="card welcome">
        <div className="logo" aria-hidden="true">S</div>
        <h1>Sotto</h1>
        <p className="lead">Messages and calls that only you and the people you choose can read or hear.</p>
        {mode === 'register' ? <RegisterForm onRegister={onRegister} /> : <LinkForm initialCode={scanned ?? ''} onLink={onLink} />}
        <p className="help">
          Your keys are made and kept in this browser; the server never sees them or your messages.
          This browser signs you in by itself next time. Clearing its site data deletes the account from it for good.
        </p>
        <div className="welcome-switch">
          {mode === 'register' ? (
            <button type="button" className="secondary" onClick={() => setMode('link')}>Link this browser to an existing account</button>
          ) : (
            <button type="button" className="secondary" onClick={() => setMode('register')}>Create a new account instead</button>
          )}
        </div>
      </div>
    </main>
  );
}

function RegisterForm({ onRegister }: Pick<WelcomeProps, 'onRegister'>) {
  const [username, setUsername] = useState('');
  const [invite, setInvite] = useState('');
  const [run, error, busy] = useAction();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(() => onRegister(username.trim().toLowerCase(), invite.trim()));
  };

  return (
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
  );
}

/**
 * Never submits by itself, even with a scanned code: a link someone else sent would otherwise
 * make this browser a device of their account without a click.
 */
function LinkForm({ initialCode, onLink }: { initialCode: string; onLink: WelcomeProps['onLink'] }) {
  const [code, setCode] = useState(initialCode);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await onLink(code.trim());
    } catch (e) {
      setError(linkErrorText(e, 'new-device'));
      setBusy(false);
    }
  };

  return (
    <form onSubmit={(e) => void submit(e)} aria-label="Link this browser to an existing account">
      <h2>Link this browser to your account</h2>
      <label htmlFor="link-code">Link code</label>
      <textarea
        id="link-code" name="link-code" className="code-input" rows={3} autoComplete="off" autoCapitalize="none" spellCheck={false} required
        value={code} onChange={(e) => setCode(e.target.value)} aria-describedby="link-code-help" autoFocus={!initialCode} readOnly={busy}
      />
      <p id="link-code-help" className="help">
        On a device that already has your account, open Settings → Devices → Link a new device (or run <code>sotto devices add</code>),
        then scan its QR code or type the code it shows. A code works once, for 5 minutes.
      </p>
      {error && <p className="error" role="alert">{error}</p>}
      {busy && <p className="muted" role="status">Waiting for your other device…</p>}
      <button type="submit" className="primary" disabled={busy} autoFocus={Boolean(initialCode)}>{busy ? 'Linking…' : 'Link this browser'}</button>
    </form>
  );
}
