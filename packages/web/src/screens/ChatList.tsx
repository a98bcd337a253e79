/** @module screens/ChatList: every chat with its last message and unread count. */
import { describeAttachment, type StoredMessage } from '@sotto/core';
import { useEngine, useLoaded, useRevision } from '../app/hooks.js';
import { loadChatSummaries } from '../app/chat-summaries.js';
import { formatTime } from '../app/format.js';
import type { ChatRef, Navigate } from '../app/view.js';

function sameChat(a: ChatRef | undefined, b: ChatRef): boolean {
  if (!a || a.kind !== b.kind) return false;
  return a.kind === 'direct' ? a.peer === (b as typeof a).peer : a.groupId === (b as typeof a).groupId;
}

export function ChatList({ selected, navigate }: { selected: ChatRef | undefined; navigate: Navigate }) {
  const { client } = useEngine();
  const revision = useRevision();
  const rows = useLoaded(() => loadChatSummaries(client), [revision]);

  return (
    <div className="chat-list">
      <div className="list-actions">
        <h2>Chats</h2>
        <button type="button" className="secondary" onClick={() => navigate({ kind: 'new-group' })}>New group</button>
      </div>
      {rows && rows.length === 0 && <p className="muted pad">No chats yet. Add a contact in Contacts, then say hello.</p>}
      <ul aria-label="Conversations">
        {rows?.map((row) => {
          const key = row.chat.kind === 'direct' ? `d:${row.chat.peer}` : `g:${row.chat.groupId}`;
          const who = !row.last || row.last.notice !== undefined ? '' : row.last.outgoing ? 'You: ' : row.chat.kind === 'group' ? `${row.last.sender}: ` : '';
          const preview = row.last ? `${who}${previewText(row.last)}` : row.active ? 'No messages yet' : 'You are no longer in this group';
          return (
            <li key={key}>
              {/* The row's one control is the title's button, stretched over the whole row (CSS): its
                  name ("Chat with bob, 2 unread") holds all of its visible text (WCAG 2.5.3), and the
                  preview and time beside it are read as the row's text, not crammed into the name. */}
              <div className={sameChat(selected, row.chat) ? 'chat-row selected' : 'chat-row'}>
                <span className="avatar" aria-hidden="true">{row.title.slice(0, 1).toUpperCase()}</span>
                <span className="chat-row-text">
                  <span className="chat-row-title">
                    <button
                      type="button" className="chat-row-open"
                      onClick={() => navigate({ kind: 'chat', chat: row.chat })}
                      aria-label={`${row.chat.kind === 'group' ? 'Group' : 'Chat with'} ${row.title}${row.unread > 0 ? `, ${row.unread} unread` : ''}`}
                    >
                      {row.title}
                    </button>
                    {row.chat.kind === 'group' && <span className="tag">group</span>}
                  </span>
                  <span className="chat-row-preview">{preview}</span>
                </span>
                <span className="chat-row-meta">
                  {row.last && <span className="time">{formatTime(row.lastActivity)}</span>}
                  {row.unread > 0 && <span className="badge" data-testid="unread">{row.unread}</span>}
                </span>
              </div>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

/** A text's words; a file's kind and caption (the descriptor's claim: nothing is fetched for a preview). */
function previewText(message: StoredMessage): string {
  if (message.deletedAt !== undefined) return 'This message was deleted';
  if (!message.attachment) return message.body;
  let kind = 'File';
  try {
    const display = describeAttachment(message)?.display;
    kind = display === 'image' ? 'Photo' : display === 'voice-note' ? 'Voice note' : 'File';
  } catch {
    // a malformed descriptor is still "a file" in the list
  }
  return message.body ? `${kind}: ${message.body}` : kind;
}
