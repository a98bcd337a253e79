/**
 * @module screens/ChatView
 * One chat: its messages (texts and files) with delivery state, and the composer. Opening a chat
 * marks what it shows as read, which tells the senders (their ✓✓ turns to "read"). A file dropped
 * onto the chat or pasted into it goes to the composer's preview, never straight out.
 */
import { useEffect, useRef, useState, type ClipboardEvent, type DragEvent } from 'react';
import { ContactState } from '@sotto/protocol';
import type { StoredMessage } from '@sotto/core';
import { useEngine, useLoaded, useRevision } from '../app/hooks.js';
import { groupIdsOf } from '../app/chat-summaries.js';
import { pickFile, type PickedFile } from '../app/send-file.js';
import { formatTime, STATUS_LABEL, STATUS_MARK } from '../app/format.js';
import { errorText } from '../app/error-text.js';
import type { ChatRef, Navigate } from '../app/view.js';
import { PhoneIcon } from '../components/icons.js';
import { useContactDeviceNotices } from '../components/DeviceNotices.js';
import { AttachmentView } from '../components/AttachmentView.js';
import { Composer } from '../components/Composer.js';
import type { DeviceNotice } from '../app/device-notices.js';

interface ChatData {
  readonly messages: StoredMessage[];
  readonly active: boolean;
  readonly isContact: boolean;
  readonly memberCount: number | undefined;
  /** Accepted contacts: only their files may auto-download. */
  readonly contacts: ReadonlySet<string>;
}

export function ChatView({ chat, navigate }: { chat: ChatRef; navigate: Navigate }) {
  const { client } = useEngine();
  const revision = useRevision();
  const [picked, setPicked] = useState<PickedFile | undefined>();
  const [dragging, setDragging] = useState(false);
  const [callError, setCallError] = useState<string | undefined>();
  const list = useRef<HTMLOListElement>(null);
  const title = chat.kind === 'direct' ? chat.peer : chat.name;
  const deviceNotices = useContactDeviceNotices(chat.kind === 'direct' ? chat.peer : undefined);

  const data = useLoaded<ChatData>(async () => {
    const contactList = await client.listContacts();
    const contacts = new Set(contactList.filter((c) => c.state === ContactState.ACCEPTED).map((c) => c.username));
    if (chat.kind === 'direct') {
      const conversations = (await client.listConversations()).filter((c) => c.kind === 'direct' && c.name === chat.peer);
      const contact = contactList.find((c) => c.username === chat.peer);
      return {
        contacts,
        messages: await client.listDirectMessages(chat.peer, 200),
        active: true,
        isContact: contact?.state === ContactState.ACCEPTED,
        memberCount: conversations.length > 0 ? 2 : undefined,
      };
    }
    const conversation = (await client.listConversations()).find((c) => c.groupId === chat.groupId);
    return {
      contacts,
      messages: await client.listMessages(chat.groupId, 200),
      active: conversation?.active ?? false,
      isContact: true,
      memberCount: conversation?.active ? (await client.members(chat.groupId)).length : undefined,
    };
  }, [revision, chat]);
  const canWrite = data?.active === true && data.isContact;
  // A file picked in one chat never goes to the next one opened.
  useEffect(() => setPicked(undefined), [chat]);

  useEffect(() => {
    if (document.visibilityState !== 'visible') return;
    void groupIdsOf(client, chat).then((ids) => Promise.all(ids.map((id) => client.markRead(id)))).catch(() => undefined);
  }, [client, chat, revision]);

  useEffect(() => {
    if (list.current) list.current.scrollTop = list.current.scrollHeight;
  }, [data?.messages.length, deviceNotices.length]);

  const offer = (file: File | undefined) => {
    if (!file) return setPicked(undefined);
    void pickFile(file).then(setPicked, () => setPicked(undefined));
  };

  const hasFiles = (event: DragEvent) => event.dataTransfer.types.includes('Files');
  const onDragOver = (event: DragEvent) => {
    if (!hasFiles(event) || !canWrite) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    setDragging(true);
  };
  const onDrop = (event: DragEvent) => {
    setDragging(false);
    if (!hasFiles(event) || !canWrite) return;
    event.preventDefault();
    offer(event.dataTransfer.files[0]);
  };
  const onPaste = (event: ClipboardEvent) => {
    const file = event.clipboardData.files[0];
    if (!file || !canWrite) return;
    event.preventDefault();
    offer(file);
  };

  const call = () => {
    if (chat.kind !== 'direct') return;
    setCallError(undefined);
    client.calls.place(chat.peer).catch((e: unknown) => setCallError(errorText(e)));
  };

  return (
    <section className={dragging ? 'chat dragging' : 'chat'} aria-label={`Chat with ${title}`}
      onDragOver={onDragOver} onDragLeave={() => setDragging(false)} onDrop={onDrop} onPaste={onPaste}>
      <header className="pane-header">
        <button type="button" className="back" onClick={() => navigate({ kind: 'chats' })} aria-label="Back to chats">‹</button>
        <div className="pane-title">
          <h2 title={title}>{title}</h2>
          <span className="muted">{chat.kind === 'group' ? (data?.memberCount ? `${data.memberCount} members` : 'You are no longer in this group') : 'End-to-end encrypted'}</span>
        </div>
        <div className="pane-actions">
          {chat.kind === 'direct' && data?.isContact && (
            <>
              <button type="button" className="icon-button" onClick={call} aria-label={`Call ${chat.peer}`} title="Voice call"><PhoneIcon /></button>
              <button type="button" className="secondary" onClick={() => navigate({ kind: 'verify', peer: chat.peer })}>Verify</button>
            </>
          )}
          {chat.kind === 'group' && (
            <button type="button" className="secondary" onClick={() => navigate({ kind: 'group-info', groupId: chat.groupId, name: chat.name })}>Group info</button>
          )}
        </div>
      </header>
      {callError && <p className="error pad" role="alert">{callError}</p>}
      <ol ref={list} className="messages" aria-label="Messages" aria-live="polite">
        {timeline(data?.messages ?? [], deviceNotices).map((item) =>
          'text' in item ? (
            <li key={`notice-${item.id}`} className="chat-notice">{item.text}</li>
          ) : (
            <li key={item.messageId} className={item.outgoing ? 'message out' : 'message in'} data-status={item.status}>
              {chat.kind === 'group' && !item.outgoing && <span className="sender">{item.sender}</span>}
              {item.attachment && <AttachmentView message={item} fromContact={data?.contacts.has(item.sender) ?? false} />}
              {(item.body || !item.attachment) && <span className="body">{item.body}</span>}
              <span className="meta">
                <time dateTime={new Date(timeOf(item)).toISOString()}>{formatTime(timeOf(item))}</time>
                {item.outgoing && <span className={`status ${item.status}`} aria-label={STATUS_LABEL[item.status]} title={STATUS_LABEL[item.status]}>{STATUS_MARK[item.status]}</span>}
              </span>
            </li>
          ),
        )}
      </ol>
      {data && data.messages.length === 0 && <p className="muted pad center">No messages yet. Messages are end-to-end encrypted.</p>}
      {data && !data.isContact && <p className="muted pad">You can write once {title} accepts your contact request.</p>}
      <Composer chat={chat} canWrite={canWrite} picked={picked} onPick={offer} />
    </section>
  );
}

function timeOf(m: StoredMessage): number {
  return m.outgoing ? m.sentAt : m.receivedAt;
}

/**
 * Messages in the engine's order, with each device notice before the first message that came
 * after it (a notice is as old as the moment this device learned of it).
 */
function timeline(messages: readonly StoredMessage[], notices: readonly DeviceNotice[]): (StoredMessage | DeviceNotice)[] {
  const pending = [...notices];
  const items: (StoredMessage | DeviceNotice)[] = [];
  for (const message of messages) {
    while (pending.length > 0 && pending[0]!.at <= timeOf(message)) items.push(pending.shift()!);
    items.push(message);
  }
  return [...items, ...pending];
}
