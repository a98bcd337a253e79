/** @module screens/GroupInfo: a group's name, members and admins; rename it, leave; admins add, remove and make admins. */
import { useState, type FormEvent } from 'react';
import { ContactState } from '@sotto/protocol';
import { useAction, useEngine, useLoaded, useRevision } from '../app/hooks.js';
import type { Navigate } from '../app/view.js';
import { PaneHeader } from '../components/PaneHeader.js';
import { Avatar } from '../components/Avatar.js';
import { useProfiles } from '../app/profiles.js';
import '../components/profiles.css';

export function GroupInfo({ groupId, name, navigate }: { groupId: string; name: string; navigate: Navigate }) {
  const { client } = useEngine();
  const revision = useRevision();
  const [changed, setChanged] = useState(0);
  const me = client.identity.username;
  const data = useLoaded(async () => {
    const conversation = (await client.listConversations()).find((c) => c.groupId === groupId);
    const members = conversation?.active ? await client.members(groupId) : [];
    const admins = conversation?.active ? await client.groupAdmins(groupId) : [];
    const contacts = (await client.listContacts()).filter((c) => c.state === ContactState.ACCEPTED && !members.includes(c.username));
    return { active: conversation?.active ?? false, name: conversation?.name ?? name, members, admins, candidates: contacts.map((c) => c.username) };
  }, [revision, changed, groupId]);
  const [run, error, busy] = useAction();
  const [toAdd, setToAdd] = useState('');
  // Profiles are known only for the member's contacts (and the member): others show their username.
  const profiles = useProfiles(data?.members ?? []);

  // The stored name: a rename here or by another member shows at once.
  const current = data?.name ?? name;

  // Only admins add and remove members (a group made before admins existed has none: anyone may).
  const hasAdmins = (data?.admins.length ?? 0) > 0;
  const mayManage = !hasAdmins || (data?.admins.includes(me) ?? false);

  const act = async (action: () => Promise<unknown>) => {
    if (await run(action)) setChanged((n) => n + 1);
  };

  return (
    <section className="page" aria-labelledby="group-title">
      <PaneHeader titleId="group-title" back={{ label: 'Back to the group chat', onClick: () => navigate({ kind: 'chat', chat: { kind: 'group', groupId, name: current } }) }}>{current}</PaneHeader>
      {data && !data.active && <p className="muted">You are no longer in this group.</p>}
      {data?.active && (
        <>
          <RenameForm groupId={groupId} name={current} onRenamed={() => setChanged((n) => n + 1)} />
          <h3>Members</h3>
          <ul className="plain-list" aria-label="Members">
            {data.members.map((m) => (
              <li key={m} className="contact-row">
                <Avatar username={m} displayName={profiles.get(m)?.displayName} avatar={profiles.get(m)?.avatar} />
                <span className="grow">
                  {memberLabel(m, profiles.get(m)?.displayName, m === me)}
                  {data.admins.includes(m) && <span className="tag">Admin</span>}
                </span>
                {hasAdmins && mayManage && !data.admins.includes(m) && (
                  <button type="button" className="subtle" disabled={busy} onClick={() => void act(() => client.makeGroupAdmin(groupId, m))} aria-label={`Make ${m} an admin`}>Make admin</button>
                )}
                {mayManage && m !== me && (
                  <button type="button" className="danger subtle" disabled={busy} onClick={() => void act(() => client.removeMembers(groupId, [m]))} aria-label={`Remove ${m}`}>Remove</button>
                )}
              </li>
            ))}
          </ul>
          {mayManage ? (
            <form className="row" aria-label="Add a member" onSubmit={(e) => { e.preventDefault(); if (toAdd) void act(() => client.addMembers(groupId, [toAdd])).then(() => setToAdd('')); }}>
              <label htmlFor="add-member" className="visually-hidden">Contact to add</label>
              <select id="add-member" value={toAdd} onChange={(e) => setToAdd(e.target.value)}>
                <option value="">Add a contact…</option>
                {data.candidates.map((c) => <option key={c} value={c}>{c}</option>)}
              </select>
              <button type="submit" className="primary" disabled={busy || !toAdd}>Add</button>
            </form>
          ) : (
            <p className="muted" role="note">Only admins can add or remove members</p>
          )}
          {error && <p className="error" role="alert">{error}</p>}
          <button type="button" className="danger" disabled={busy} onClick={() => void act(() => client.leave(groupId)).then(() => navigate({ kind: 'chats' }))}>Leave group</button>
        </>
      )}
    </section>
  );
}

/** "Bob Builder (bob)", or the username alone when they shared no name; "(you)" for the member. */
function memberLabel(username: string, displayName: string | undefined, isMe: boolean): string {
  const name = displayName ? `${displayName} (${username})` : username;
  return isMe ? `${name} (you)` : name;
}

/** Renames the group for every member (each member's chat gets a notice). */
function RenameForm({ groupId, name, onRenamed }: { groupId: string; name: string; onRenamed: () => void }) {
  const { client } = useEngine();
  const [draft, setDraft] = useState(name);
  const [done, setDone] = useState(false);
  const [run, error, busy] = useAction();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setDone(false);
    if (await run(() => client.renameGroup(groupId, draft.trim()))) {
      setDone(true);
      onRenamed();
    }
  };

  return (
    <form className="card form" aria-label="Rename the group" onSubmit={(e) => void submit(e)}>
      <label htmlFor="group-name">Group name</label>
      <div className="rename-form">
        <input id="group-name" value={draft} maxLength={64} onChange={(e) => { setDraft(e.target.value); setDone(false); }} aria-describedby="group-name-help" />
        <button type="submit" className="primary" disabled={busy || draft.trim() === name}>Rename</button>
      </div>
      <p id="group-name-help" className="help">1 to 64 characters. Every member sees the new name, and a notice in the chat.</p>
      {error && <p className="error" role="alert">{error}</p>}
      {done && !error && <p className="ok" role="status">Renamed for every member.</p>}
    </form>
  );
}
