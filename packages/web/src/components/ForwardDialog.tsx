/**
 * @module components/ForwardDialog
 * "Forward to…": the member's chats they can write in, then contacts they have no chat with
 * yet, each a button; the copy goes out marked as forwarded (a file by its descriptor, nothing
 * uploaded again).
 */
import { ContactState } from '@sotto/protocol';
import type { StoredMessage } from '@sotto/core';
import { useAction, useEngine, useLoaded } from '../app/hooks.js';
import { loadChatSummaries } from '../app/chat-summaries.js';
import type { ChatRef } from '../app/view.js';
import { Dialog } from './Dialog.js';

export function ForwardDialog({ message, onDone, onClose }: { message: StoredMessage; onDone: (to: string) => void; onClose: () => void }) {
  const { client } = useEngine();
  const [run, error, busy] = useAction();
  const chats = useLoaded(async () => {
    const summaries = (await loadChatSummaries(client)).filter((c) => c.active);
    const withChat = new Set(summaries.flatMap((c) => (c.chat.kind === 'direct' ? [c.chat.peer] : [])));
    const contacts = (await client.listContacts()).filter((c) => c.state === ContactState.ACCEPTED && !withChat.has(c.username));
    const others = contacts.map((c) => ({ chat: { kind: 'direct', peer: c.username } as const, title: c.username }));
    return [...summaries.map((c) => ({ chat: c.chat, title: c.title })), ...others];
  }, [client]);
  const writable = chats ?? [];

  const forward = async (chat: ChatRef, title: string) => {
    const ok = await run(async () => {
      const to = chat.kind === 'group' ? chat.groupId : await client.openDirect(chat.peer);
      await client.messages.forward(message.messageId, to);
    });
    if (ok) onDone(title);
  };

  return (
    <Dialog title="Forward to…" onClose={onClose}>
      {chats && writable.length === 0 && <p className="muted">No chats to forward to yet.</p>}
      <ul className="plain-list forward-list" aria-label="Chats">
        {writable.map((c) => (
          <li key={c.chat.kind === 'direct' ? `d:${c.chat.peer}` : `g:${c.chat.groupId}`}>
            <button type="button" className="chat-row" disabled={busy} onClick={() => void forward(c.chat, c.title)} aria-label={`Forward to ${c.title}`}>
              <span className="avatar" aria-hidden="true">{c.title.slice(0, 1).toUpperCase()}</span>
              <span className="chat-row-title">{c.title}{c.chat.kind === 'group' && <span className="tag">group</span>}</span>
            </button>
          </li>
        ))}
      </ul>
      {error && <p className="error" role="alert">{error}</p>}
      <div className="row end">
        <button type="button" className="secondary" onClick={onClose}>Cancel</button>
      </div>
    </Dialog>
  );
}
