/** @module screens/NewGroup: a group is an MLS group of contacts; only contacts can be added. */
import { useState, type FormEvent } from 'react';
import { ContactState } from '@sotto/protocol';
import { useAction, useEngine, useLoaded, useRevision } from '../app/hooks.js';
import type { Navigate } from '../app/view.js';
import { PaneHeader } from '../components/PaneHeader.js';

export function NewGroup({ navigate }: { navigate: Navigate }) {
  const { client } = useEngine();
  const revision = useRevision();
  const contacts = useLoaded(async () => (await client.listContacts()).filter((c) => c.state === ContactState.ACCEPTED), [revision]) ?? [];
  const [name, setName] = useState('');
  const [chosen, setChosen] = useState<ReadonlySet<string>>(new Set());
  const [run, error, busy] = useAction();

  const toggle = (username: string) => {
    const next = new Set(chosen);
    if (next.has(username)) next.delete(username);
    else next.add(username);
    setChosen(next);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    let groupId = '';
    const ok = await run(async () => {
      groupId = (await client.createGroup(name.trim(), [...chosen])).groupId;
    });
    if (ok) navigate({ kind: 'chat', chat: { kind: 'group', groupId, name: name.trim() } });
  };

  return (
    <section className="page" aria-labelledby="new-group-title">
      <PaneHeader titleId="new-group-title" back={{ label: 'Back to chats', onClick: () => navigate({ kind: 'chats' }) }}>New group</PaneHeader>
      <form className="card form" onSubmit={(e) => void submit(e)}>
        <label htmlFor="group-name">Group name</label>
        <input id="group-name" required maxLength={64} value={name} onChange={(e) => setName(e.target.value)} autoFocus />
        <fieldset>
          <legend>Members</legend>
          {contacts.length === 0 && <p className="muted">Groups are made of contacts. Add some in Contacts first.</p>}
          {contacts.map((c) => (
            <label key={c.username} className="check">
              <input type="checkbox" checked={chosen.has(c.username)} onChange={() => toggle(c.username)} />
              {c.username}
            </label>
          ))}
        </fieldset>
        {error && <p className="error" role="alert">{error}</p>}
        <button type="submit" className="primary" disabled={busy || chosen.size === 0 || name.trim().length === 0}>
          {busy ? 'Creating…' : 'Create group'}
        </button>
      </form>
    </section>
  );
}
