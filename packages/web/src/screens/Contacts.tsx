/**
 * @module screens/Contacts
 * Contact requests are how strangers reach a member: plain text, fixed size, nothing else
 * (rule 1). Incoming ones can be accepted, declined (silently) or blocked (after a confirm).
 * Accepted contacts show the display name and avatar they shared, and whether the member verified
 * them. A request the member sent can be taken back; a blocked member can be unblocked.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { ContactState, LIMITS } from '@sotto/protocol';
import type { ContactResponse, StoredContact } from '@sotto/core';
import { announceLocalChange, useAction, useEngine, useLoaded, useRevision } from '../app/hooks.js';
import type { Navigate } from '../app/view.js';
import { PaneHeader } from '../components/PaneHeader.js';
import { Avatar } from '../components/Avatar.js';
import { Dialog } from '../components/Dialog.js';
import { useProfiles, useVerification } from '../app/profiles.js';

export function Contacts({ navigate }: { navigate: Navigate }) {
  const { client } = useEngine();
  const revision = useRevision();
  const [refreshed, setRefreshed] = useState(0);
  const contacts = useLoaded(() => client.listContacts(), [revision, refreshed]) ?? [];
  const requests = useLoaded(() => client.lockdown.contactRequests(), [revision, refreshed]);
  const [run, error] = useAction();

  useEffect(() => {
    client.refreshContacts().then(() => setRefreshed((n) => n + 1)).catch(() => undefined);
  }, [client, revision]);

  const respond = (username: string, response: ContactResponse) =>
    run(async () => {
      await client.respondToContact(username, response);
      // The engine fires no event for its own answer: the badge and the chat list must hear of it.
      announceLocalChange();
    });
  /** Blocking asks first: it is easy to tap by mistake and the other member is never told. */
  const [blocking, setBlocking] = useState<string | undefined>();
  const confirmBlock = () => {
    const username = blocking;
    setBlocking(undefined);
    if (username) void respond(username, 'block');
  };

  const byState = (state: ContactState) => contacts.filter((c) => c.state === state);
  // In lockdown mode only requests through the member's link are shown; the rest are a count.
  const incoming = requests?.shown ?? [];
  const heldBack = requests?.hidden ?? 0;
  const outgoing = byState(ContactState.REQUESTED);
  const accepted = byState(ContactState.ACCEPTED);
  const blocked = byState(ContactState.BLOCKED);
  const acceptedNames = accepted.map((c) => c.username);
  const profiles = useProfiles(acceptedNames);
  const verification = useVerification(acceptedNames);

  return (
    <section className="page" aria-labelledby="contacts-title">
      <PaneHeader titleId="contacts-title" back={{ label: 'Back to chats', onClick: () => navigate({ kind: 'chats' }) }}>Contacts</PaneHeader>
      <RequestForm onSent={() => setRefreshed((n) => n + 1)} />
      {error && <p className="error" role="alert">{error}</p>}

      <h3>Requests for you</h3>
      {heldBack > 0 && (
        <p className="held-back" role="status">
          {heldBack} request{heldBack === 1 ? '' : 's'} from people who are not your contacts {heldBack === 1 ? 'was' : 'were'} held back by lockdown mode.
        </p>
      )}
      {incoming.length === 0 ? <p className="muted">No requests waiting.</p> : (
        <ul className="cards" aria-label="Incoming contact requests">
          {incoming.map((c) => (
            <li key={c.username} className="card request">
              <div>
                <strong>{c.username}</strong>{c.viaLink && <span className="tag">via your link</span>}
                <p className="request-text">{c.text || <em className="muted">{textlessRequest(c)}</em>}</p>
              </div>
              <div className="row">
                <button type="button" className="primary" onClick={() => void respond(c.username, 'accept')} aria-label={`Accept ${c.username}`}>Accept</button>
                <button type="button" className="secondary" onClick={() => void respond(c.username, 'decline')} aria-label={`Decline ${c.username}`}>Decline</button>
                <button type="button" className="danger" onClick={() => setBlocking(c.username)} aria-label={`Block ${c.username}`}>Block</button>
              </div>
            </li>
          ))}
        </ul>
      )}

      <h3>Your contacts</h3>
      {accepted.length === 0 ? <p className="muted">No contacts yet.</p> : (
        <ul className="plain-list" aria-label="Contacts">
          {accepted.map((c) => (
            <li key={c.username} className="contact-row">
              <Avatar username={c.username} displayName={profiles.get(c.username)?.displayName} avatar={profiles.get(c.username)?.avatar} />
              <ContactNames username={c.username} displayName={profiles.get(c.username)?.displayName ?? ''} verification={verification.get(c.username)} />
              <button type="button" className="secondary" onClick={() => navigate({ kind: 'chat', chat: { kind: 'direct', peer: c.username } })} aria-label={`Message ${c.username}`}>Message</button>
              <button type="button" className="secondary" onClick={() => navigate({ kind: 'verify', peer: c.username })} aria-label={`Verify ${c.username}`}>Verify</button>
              <button type="button" className="danger subtle" onClick={() => setBlocking(c.username)} aria-label={`Block ${c.username}`}>Block</button>
            </li>
          ))}
        </ul>
      )}

      {outgoing.length > 0 && (
        <>
          <h3>Waiting for an answer</h3>
          <ul className="plain-list" aria-label="Outgoing contact requests">
            {outgoing.map((c) => (
              <li key={c.username} className="contact-row">
                <span className="grow">{c.username} <span className="muted">requested</span></span>
                <button type="button" className="secondary" onClick={() => void respond(c.username, 'cancel')} aria-label={`Cancel request to ${c.username}`}>Cancel request</button>
              </li>
            ))}
          </ul>
        </>
      )}
      {blocked.length > 0 && (
        <>
          <h3>Blocked</h3>
          <ul className="plain-list" aria-label="Blocked">
            {blocked.map((c) => (
              <li key={c.username} className="contact-row">
                <span className="grow">{c.username} <span className="muted">blocked</span></span>
                <button type="button" className="secondary" onClick={() => void respond(c.username, 'unblock')} aria-label={`Unblock ${c.username}`}>Unblock</button>
              </li>
            ))}
          </ul>
        </>
      )}
      {blocking && (
        <Dialog title={`Block ${blocking}?`} onClose={() => setBlocking(undefined)}>
          <p>{blocking} will not be told. Their requests, messages and calls will no longer reach you. You can unblock them here later.</p>
          <div className="row end">
            <button type="button" className="secondary" onClick={() => setBlocking(undefined)}>Cancel</button>
            <button type="button" className="danger" onClick={confirmBlock}>Block</button>
          </div>
        </Dialog>
      )}
    </section>
  );
}

/** A contact's display name (when they shared one) over their username, with a badge once verified. */
function ContactNames({ username, displayName, verification }: { username: string; displayName: string; verification: 'verified' | 'changed' | 'unverified' | undefined }) {
  const badge = verification === 'verified'
    ? <span className="verified-badge" title="You compared your safety number with them">Verified ✓</span>
    : verification === 'changed'
      ? <span className="verified-badge changed" title="Your safety number changed since you verified it">Safety number changed</span>
      : null;
  return (
    <span className="grow contact-names">
      {displayName ? (
        <>
          <span className="display-name">{displayName}{badge}</span>
          <span className="username">{username}</span>
        </>
      ) : <span className="display-name">{username}{badge}</span>}
    </span>
  );
}

/** A request without text is a stranger's call attempt (a call request) or a bare request. */
function textlessRequest(_contact: StoredContact): string {
  return 'No message. (A call from someone who is not your contact arrives like this.)';
}

/** `#add=USERNAME/TOKEN` in the address bar (a contact link opened here), taken once. */
function takeLinkFromLocation(): { username: string; link: string } | undefined {
  const match = /^#add=([a-z0-9_.-]{3,32})\/[A-Za-z0-9_-]{22}$/.exec(location.hash);
  if (!match) return undefined;
  const link = location.href;
  history.replaceState(null, '', location.pathname + location.search);
  return { username: match[1]!, link };
}

function RequestForm({ onSent }: { onSent: () => void }) {
  const { client } = useEngine();
  const [fromLink] = useState(takeLinkFromLocation);
  const [username, setUsername] = useState(fromLink?.username ?? '');
  const [link, setLink] = useState(fromLink?.link ?? '');
  const [text, setText] = useState('');
  const [sent, setSent] = useState<string | undefined>();
  const [run, error, busy] = useAction();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const to = username.trim().toLowerCase();
    if (await run(() => client.requestContact(to, text, link.trim() ? { link: link.trim() } : {}))) {
      setSent(to);
      setUsername('');
      setLink('');
      setText('');
      onSent();
    }
  };

  return (
    <form className="card form" onSubmit={(e) => void submit(e)} aria-label="Add a contact">
      <h3>Add a contact</h3>
      <label htmlFor="request-username">Their username</label>
      <input id="request-username" required autoCapitalize="none" spellCheck={false} value={username} onChange={(e) => setUsername(e.target.value)} />
      <label htmlFor="request-text">A short note so they know it is you <span className="optional">({LIMITS.contactRequestMaxChars - text.length} left)</span></label>
      <textarea id="request-text" rows={2} maxLength={LIMITS.contactRequestMaxChars} value={text} onChange={(e) => setText(e.target.value)} />
      <label htmlFor="request-link">Their contact link <span className="optional">(needed if they use lockdown mode)</span></label>
      <input id="request-link" autoCapitalize="none" spellCheck={false} value={link} onChange={(e) => setLink(e.target.value)} placeholder="https://…/#add=name/…" />
      {error && <p className="error" role="alert">{error}</p>}
      {sent && !error && <p className="ok" role="status">Request sent to {sent}.</p>}
      <button type="submit" className="primary" disabled={busy}>Send request</button>
    </form>
  );
}
