/** @module screens/GroupInfo: members of a group; add contacts, remove members, leave. */
import { useState } from 'react';
import { ContactState } from '@sotto/protocol';
import { useAction, useEngine, useLoaded, useRevision } from '../app/hooks.js';
import type { Navigate } from '../app/view.js';
import { PaneHeader } from '../components/PaneHeader.js';

export function GroupInfo({ groupId, name, navigate }: { groupId: string; name: string; navigate: Navigate }) {
  const { client } = useEngine();
  const revision = useRevision();
  const [changed, setChanged] = useState(0);
  const me = client.identity.username;
  const data = useLoaded(async () => {
    const conversation = (await client.listConversations()).find((c) => c.groupId === groupId);
    const members = conversation?.active ? await client.members(groupId) : [];
    const contacts = (await client.listContacts()).filter((c) => c.state === ContactState.ACCEPTED && !members.includes(c.username));
    return { active: conversation?.active ?? false, members, candidates: contacts.map((c) => c.username) };
  }, [revision, changed, groupId]);
  const [run, error, busy] = useAction();
  const [toAdd, setToAdd] = useState('');

  const act = async (action: () => Promise<unknown>) => {
    if (await run(action)) setChanged((n) => n + 1);
  };

  return (
    <section className="page" aria-labelledby="group-title">
      <PaneHeader titleId="group-title" back={{ label: 'Back to the group chat', onClick: () => navigate({ kind: 'chat', chat: { kind: 'group', groupId, name } }) }}>{name}</PaneHeader>
      {data && !data.active && <p className="muted">You are no longer in this group.</p>}
      {data?.active && (
        <>
          <h3>Members</h3>
          <ul className="plain-list" aria-label="Members">
            {data.members.map((m) => (
              <li key={m} className="contact-row">
                <span className="avatar" aria-hidden="true">{m.slice(0, 1).toUpperCase()}</span>
                <span className="grow">{m === me ? `${m} (you)` : m}</span>
                {m !== me && (
                  <button type="button" className="danger subtle" disabled={busy} onClick={() => void act(() => client.removeMembers(groupId, [m]))} aria-label={`Remove ${m}`}>Remove</button>
                )}
              </li>
            ))}
          </ul>
          <form className="row" onSubmit={(e) => { e.preventDefault(); if (toAdd) void act(() => client.addMembers(groupId, [toAdd])).then(() => setToAdd('')); }}>
            <label htmlFor="add-member" className="visually-hidden">Contact to add</label>
            <select id="add-member" value={toAdd} onChange={(e) => setToAdd(e.target.value)}>
              <option value="">Add a contact…</option>
              {data.candidates.map((c) => <option key={c} value={c}>{c}</option>)}
            </select>
            <button type="submit" className="primary" disabled={busy || !toAdd}>Add</button>
          </form>
          {error && <p className="error" role="alert">{error}</p>}
          <button type="button" className="danger" disabled={busy} onClick={() => void act(() => client.leave(groupId)).then(() => navigate({ kind: 'chats' }))}>Leave group</button>
        </>
      )}
    </section>
  );
}
