/**
 * @module screens/ChatList
 * Every chat with its last message and unread count, pinned ones first; archived chats behind
 * "Archived"; and a search of the messages on this device (never on the server).
 */
import { useState } from 'react';
import { describeAttachment, type SottoClient, type StoredMessage } from '@sotto/core';
import { useEngine, useLoaded, useRevision } from '../app/hooks.js';
import { loadChatSummaries, type ChatSummary } from '../app/chat-summaries.js';
import { formatTime } from '../app/format.js';
import type { ChatRef, Navigate } from '../app/view.js';
import { MutedIcon, PinIcon } from '../components/icons.js';

function sameChat(a: ChatRef | undefined, b: ChatRef): boolean {
  if (!a || a.kind !== b.kind) return false;
  return a.kind === 'direct' ? a.peer === (b as typeof a).peer : a.groupId === (b as typeof a).groupId;
}

export function ChatList({ selected, navigate }: { selected: ChatRef | undefined; navigate: Navigate }) {
  const { client } = useEngine();
  const revision = useRevision();
  const rows = useLoaded(() => loadChatSummaries(client), [revision]);
  const [archiveOpen, setArchiveOpen] = useState(false);
  const [query, setQuery] = useState('');
  const archived = rows?.filter((r) => r.archived) ?? [];
  // The archive closes by itself once its last chat is unarchived.
  const showArchived = archiveOpen && archived.length > 0;
  const shown = rows?.filter((r) => r.archived === showArchived);

  return (
    <div className="chat-list">
      <div className="list-actions">
        {showArchived ? (
          <>
            <h2>Archived</h2>
            {/* Not the pane's "‹" (hidden on wide screens): the archive is inside the list on every size. */}
            <button type="button" className="secondary" onClick={() => setArchiveOpen(false)} aria-label="Back to chats">Back</button>
          </>
        ) : (
          <>
            <h2>Chats</h2>
            <button type="button" className="secondary" onClick={() => navigate({ kind: 'new-group' })}>New group</button>
          </>
        )}
      </div>
      <div className="chat-search">
        <input type="search" value={query} onChange={(e) => setQuery(e.target.value)} aria-label="Search messages on this device"
          placeholder="Search messages" maxLength={200} />
      </div>
      {query.trim() !== '' ? (
        <SearchResults query={query} navigate={navigate} />
      ) : (
        <>
          {!showArchived && archived.length > 0 && (
            <button type="button" className="archived-link" onClick={() => setArchiveOpen(true)}>
              Archived <span className="muted">({archived.length})</span>
            </button>
          )}
          {rows && rows.length === 0 && (
            <p className="muted pad">No chats yet. Add a contact in Contacts, then say hello.</p>
          )}
          <ul aria-label={showArchived ? 'Archived conversations' : 'Conversations'}>
            {shown?.map((row) => <ChatRow key={row.chat.kind === 'direct' ? `d:${row.chat.peer}` : `g:${row.chat.groupId}`} row={row} selected={sameChat(selected, row.chat)} navigate={navigate} />)}
          </ul>
        </>
      )}
    </div>
  );
}

function ChatRow({ row, selected, navigate }: { row: ChatSummary; selected: boolean; navigate: Navigate }) {
  const who = !row.last || row.last.notice !== undefined ? '' : row.last.outgoing ? 'You: ' : row.chat.kind === 'group' ? `${row.last.sender}: ` : '';
  const preview = row.last ? `${who}${previewText(row.last)}` : row.active ? 'No messages yet' : 'You are no longer in this group';
  const state = `${row.pinned ? ', pinned' : ''}${row.muted ? ', muted' : ''}`;
  return (
    <li>
      {/* The row's one control is the title's button, stretched over the whole row (CSS): its
          name ("Chat with bob, 2 unread") holds all of its visible text (WCAG 2.5.3), and the
          preview and time beside it are read as the row's text, not crammed into the name. */}
      <div className={selected ? 'chat-row selected' : 'chat-row'}>
        <span className="avatar" aria-hidden="true">{row.title.slice(0, 1).toUpperCase()}</span>
        <span className="chat-row-text">
          <span className="chat-row-title">
            <button
              type="button" className="chat-row-open"
              onClick={() => navigate({ kind: 'chat', chat: row.chat })}
              aria-label={`${row.chat.kind === 'group' ? 'Group' : 'Chat with'} ${row.title}${row.unread > 0 ? `, ${row.unread} unread` : ''}${state}`}
            >
              {row.title}
            </button>
            {row.chat.kind === 'group' && <span className="tag">group</span>}
            {row.muted && <span className="row-flag" title="Muted" data-testid="muted"><MutedIcon className="inline-icon" /></span>}
          </span>
          <span className="chat-row-preview">{preview}</span>
        </span>
        <span className="chat-row-meta">
          {row.last && <span className="time">{formatTime(row.lastActivity)}</span>}
          <span className="chat-row-badges">
            {row.pinned && <span className="row-flag" title="Pinned" data-testid="pinned"><PinIcon className="inline-icon" /></span>}
            {row.unread > 0 && <span className={row.muted ? 'badge quiet' : 'badge'} data-testid="unread">{row.unread}</span>}
          </span>
        </span>
      </div>
    </li>
  );
}

interface Found {
  readonly message: StoredMessage;
  readonly chat: ChatRef;
  readonly title: string;
}

/** The messages whose text holds the query, newest first, each opening its chat. Searched on this device only. */
async function search(client: SottoClient, query: string): Promise<Found[]> {
  const conversations = new Map((await client.listConversations()).map((c) => [c.groupId, c]));
  const found: Found[] = [];
  for (const message of await client.searchMessages(query, 50)) {
    const c = conversations.get(message.groupId);
    if (!c || c.kind === 'self') continue;
    const chat: ChatRef = c.kind === 'direct' ? { kind: 'direct', peer: c.name } : { kind: 'group', groupId: c.groupId, name: c.name };
    found.push({ message, chat, title: c.name });
  }
  return found;
}

function SearchResults({ query, navigate }: { query: string; navigate: Navigate }) {
  const { client } = useEngine();
  const revision = useRevision();
  const results = useLoaded(() => search(client, query), [query, revision]);
  if (!results) return null;
  return (
    <>
      <p className="muted pad" role="status">{results.length === 0 ? 'No messages found on this device.' : results.length === 1 ? '1 message' : `${results.length} messages`}</p>
      <ul aria-label="Search results">
        {results.map(({ message, chat, title }) => (
          <li key={`${message.groupId}:${message.messageId}`}>
            <div className="chat-row">
              <span className="avatar" aria-hidden="true">{title.slice(0, 1).toUpperCase()}</span>
              <span className="chat-row-text">
                <span className="chat-row-title">
                  <button type="button" className="chat-row-open" onClick={() => navigate({ kind: 'chat', chat })}
                    aria-label={`${chat.kind === 'group' ? 'Group' : 'Chat with'} ${title}: ${message.outgoing ? 'you' : message.sender} wrote ${message.body}`}>
                    {title}
                  </button>
                </span>
                <span className="chat-row-preview">{message.outgoing ? 'You: ' : chat.kind === 'group' ? `${message.sender}: ` : ''}{message.body}</span>
              </span>
              <span className="chat-row-meta"><span className="time">{formatTime(message.outgoing ? message.sentAt : message.receivedAt)}</span></span>
            </div>
          </li>
        ))}
      </ul>
    </>
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
