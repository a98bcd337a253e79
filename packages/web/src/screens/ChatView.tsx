/**
 * @module screens/ChatView
 * One chat: its messages (texts and files) with delivery state, the notices the engine wrote
 * into it (devices, disappearing messages), a date line per day and an "unread" line where the
 * unread ones began, and the composer. Each message has its menu (reply, react, edit, delete
 * for everyone, forward, copy). Opening a chat marks what it shows as read, which tells the
 * senders (their ✓✓ turns to "read"). A file dropped onto the chat or pasted into it goes to the
 * composer's preview, never straight out. The header sets disappearing messages.
 */
import { useEffect, useRef, useState, type ClipboardEvent, type DragEvent } from 'react';
import { ContactState } from '@sotto/protocol';
import { isLive, type StoredCallLogEntry, type StoredMessage } from '@sotto/core';
import { useAction, useCallState, useEngine, useLoaded, useNow, useRevision } from '../app/hooks.js';
import { groupIdsOf } from '../app/chat-summaries.js';
import { pickFile, type PickedFile } from '../app/send-file.js';
import { errorText } from '../app/error-text.js';
import { typingLabel, useTypingIn } from '../app/typing.js';
import { buildTimeline, unreadMarkOf, type UnreadMark } from '../app/timeline.js';
import { describeCall, formatTime } from '../app/format.js';
import { offersFor } from '../app/message-view.js';
import type { ChatRef, Navigate } from '../app/view.js';
import { MoreIcon, PhoneIcon, TimerIcon, VideoIcon } from '../components/icons.js';
import { Composer, type ComposeMode } from '../components/Composer.js';
import { MessageBubble } from '../components/MessageBubble.js';
import type { MenuChoices } from '../components/MessageMenu.js';
import { Dialog } from '../components/Dialog.js';
import { ForwardDialog } from '../components/ForwardDialog.js';
import { ChatOptionsDialog } from '../components/ChatOptionsDialog.js';
import { DisappearingDialog, timerLabel } from '../components/DisappearingDialog.js';
import { GroupCallBar, useGroupCallState } from '../components/GroupCallBar.js';

interface ChatData {
  readonly messages: StoredMessage[];
  readonly active: boolean;
  readonly isContact: boolean;
  readonly memberCount: number | undefined;
  /** Accepted contacts: only their files may auto-download. */
  readonly contacts: ReadonlySet<string>;
  /** The conversation's disappearing timer, in seconds (0: off). */
  readonly timer: number;
  /** The direct chat's calls with the contact, from the call log (none for a group). */
  readonly calls: readonly StoredCallLogEntry[];
}

/** How often a disappearing message's time left is redrawn. */
const TIMER_TICK_MS = 15_000;
/** How far back the call log is read for a chat's call lines (the log keeps every call). */
const CALLS_SHOWN = 500;
/** How long a message reached through a quote stays highlighted. */
const HIGHLIGHT_MS = 2_500;

/** The one conversation the header's timer belongs to: a group, or the direct conversation the engine keeps with the peer. */
async function timerConversation(client: ReturnType<typeof useEngine>['client'], chat: ChatRef, create: boolean): Promise<string | undefined> {
  if (chat.kind === 'group') return chat.groupId;
  return create ? client.openDirect(chat.peer) : client.findDirect(chat.peer);
}

function chatKey(chat: ChatRef): string {
  return chat.kind === 'direct' ? `d:${chat.peer}` : `g:${chat.groupId}`;
}

export function ChatView({ chat, navigate }: { chat: ChatRef; navigate: Navigate }) {
  const { client } = useEngine();
  const me = client.identity.username;
  const revision = useRevision();
  const [picked, setPicked] = useState<PickedFile | undefined>();
  const [dragging, setDragging] = useState(false);
  const [callError, setCallError] = useState<string | undefined>();
  const callState = useCallState();
  const inCall = isLive(callState);
  const groupCall = useGroupCallState();
  const inGroupCall = groupCall.kind === 'joining' || groupCall.kind === 'joined';
  const [menuFor, setMenuFor] = useState<string | undefined>();
  const [mode, setMode] = useState<ComposeMode | undefined>();
  const [forwarding, setForwarding] = useState<StoredMessage | undefined>();
  const [deleting, setDeleting] = useState<StoredMessage | undefined>();
  const [timerOpen, setTimerOpen] = useState(false);
  const [optionsFor, setOptionsFor] = useState<string | undefined>();
  const [highlight, setHighlight] = useState<string | undefined>();
  const [status, setStatus] = useState<string | undefined>();
  const [act, actionError, , clearActionError] = useAction();
  /** Where the unread messages began when this chat was opened (kept while it stays open). */
  const [unread, setUnread] = useState<{ key: string; mark: UnreadMark | undefined } | undefined>();
  const list = useRef<HTMLOListElement>(null);
  const title = chat.kind === 'direct' ? chat.peer : chat.name;
  const key = chatKey(chat);
  const typingText = typingLabel(useTypingIn(chat), chat.kind === 'group');

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
        timer: conversations.length > 0 ? await client.disappearingTimer((await client.findDirect(chat.peer)) ?? conversations[0]!.groupId) : 0,
        calls: (await client.listCallLog(CALLS_SHOWN)).filter((e) => e.peer === chat.peer),
      };
    }
    const conversation = (await client.listConversations()).find((c) => c.groupId === chat.groupId);
    return {
      contacts,
      messages: await client.listMessages(chat.groupId, 200),
      active: conversation?.active ?? false,
      isContact: true,
      memberCount: conversation?.active ? (await client.members(chat.groupId)).length : undefined,
      timer: await client.disappearingTimer(chat.groupId),
      calls: [],
    };
  }, [revision, chat]);
  const canWrite = data?.active === true && data.isContact;
  const messages = data?.messages ?? [];
  const hasTimers = messages.some((m) => m.expiresAt !== undefined);
  // Redrawn every so often while a disappearing message is shown; its time left is counted from the render.
  useNow(TIMER_TICK_MS, hasTimers);
  const now = Date.now();
  // A file picked, a reply or edit begun, a menu open in one chat never carry to the next one opened.
  useEffect(() => {
    setPicked(undefined);
    setMode(undefined);
    setMenuFor(undefined);
    setStatus(undefined);
    clearActionError();
  }, [key]);

  // Opening the chat: note where the unread messages begin (for the "unread" line), then mark them read.
  const unreadKnown = unread?.key === key;
  useEffect(() => {
    if (!data || unreadKnown) return;
    setUnread({ key, mark: unreadMarkOf(data.messages) });
  }, [data, key, unreadKnown]);
  useEffect(() => {
    if (!unreadKnown || document.visibilityState !== 'visible') return;
    void groupIdsOf(client, chat).then((ids) => Promise.all(ids.map((id) => client.markRead(id)))).catch(() => undefined);
  }, [client, chat, revision, unreadKnown]);

  // New messages scroll to the bottom; on opening, the unread line is brought into view instead.
  const scrolledFor = useRef<string | undefined>(undefined);
  useEffect(() => {
    const box = list.current;
    if (!box || !unreadKnown) return;
    const divider = scrolledFor.current !== key ? box.querySelector<HTMLElement>('.unread-divider') : null;
    scrolledFor.current = key;
    if (divider) divider.scrollIntoView({ block: 'start' });
    else box.scrollTop = box.scrollHeight;
  }, [messages.length, unreadKnown, key]);

  useEffect(() => {
    if (!highlight) return;
    const timer = setTimeout(() => setHighlight(undefined), HIGHLIGHT_MS);
    return () => clearTimeout(timer);
  }, [highlight]);

  const goToMessage = (messageId: string) => {
    const target = document.getElementById(`message-${messageId}`);
    if (!target || !messages.some((m) => m.messageId === messageId && m.deletedAt === undefined)) {
      setStatus('The original message is no longer here.');
      return;
    }
    setStatus(undefined);
    target.scrollIntoView({ block: 'center', behavior: 'smooth' });
    target.focus({ preventScroll: true });
    setHighlight(messageId);
  };

  const choicesFor = (message: StoredMessage): MenuChoices => ({
    reply: () => setMode({ kind: 'reply', message }),
    edit: () => setMode({ kind: 'edit', message }),
    react: (emoji) => void act(() => client.messages.react(message.groupId, message.messageId, emoji)),
    deleteForEveryone: () => setDeleting(message),
    forward: () => setForwarding(message),
    copy: () => {
      navigator.clipboard.writeText(message.body).then(() => setStatus('Copied.'), () => setStatus('The text could not be copied: this browser did not allow it.'));
    },
  });

  const confirmDelete = async () => {
    const message = deleting;
    if (!message) return;
    setDeleting(undefined);
    if (mode?.message.messageId === message.messageId) setMode(undefined);
    await act(() => client.messages.deleteForEveryone(message.groupId, message.messageId));
  };

  const setTimer = async (seconds: number) => {
    const conversation = await timerConversation(client, chat, true);
    if (conversation) await client.setDisappearing(conversation, seconds);
  };

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

  const call = (video: boolean) => {
    if (chat.kind !== 'direct') return;
    setCallError(undefined);
    client.calls.place(chat.peer, { video }).catch((e: unknown) => setCallError(errorText(e)));
  };

  return (
    <section className={dragging ? 'chat dragging' : 'chat'} aria-label={`Chat with ${title}`}
      onDragOver={onDragOver} onDragLeave={() => setDragging(false)} onDrop={onDrop} onPaste={onPaste}>
      <header className="pane-header">
        <button type="button" className="back" onClick={() => navigate({ kind: 'chats' })} aria-label="Back to chats">‹</button>
        <div className="pane-title">
          <h2 title={title}>{title}</h2>
          <span className={typingText ? 'muted typing-line' : 'muted'} data-testid="chat-subtitle">
            {typingText ?? (chat.kind === 'group' ? (data?.memberCount ? `${data.memberCount} members` : 'You are no longer in this group') : 'End-to-end encrypted')}
            {data && data.timer > 0 && <span className="header-timer"><span className="sep" aria-hidden="true"> · </span><TimerIcon className="inline-icon" />{timerLabel(data.timer)}</span>}
          </span>
        </div>
        <div className="pane-actions">
          {canWrite && (
            <button type="button" className={data.timer > 0 ? 'icon-button timer-on' : 'icon-button'} onClick={() => setTimerOpen(true)}
              aria-label={`Disappearing messages: ${timerLabel(data.timer)}`} title="Disappearing messages"><TimerIcon /></button>
          )}
          {chat.kind === 'direct' && data?.isContact && (
            <>
              <button type="button" className="icon-button" onClick={() => call(true)} aria-label={`Video call with ${chat.peer}`} title={inCall ? 'On a call' : 'Video call'} disabled={inCall}><VideoIcon /></button>
              <button type="button" className="icon-button" onClick={() => call(false)} aria-label={`Call ${chat.peer}`} title={inCall ? 'On a call' : 'Voice call'} disabled={inCall}><PhoneIcon /></button>
              <button type="button" className="secondary" onClick={() => navigate({ kind: 'verify', peer: chat.peer })}>Verify</button>
            </>
          )}
          {chat.kind === 'group' && canWrite && (
            <button type="button" className="icon-button" aria-label="Start or join the group call" title={inGroupCall ? 'In a group call' : 'Group call'}
              disabled={inCall || inGroupCall} onClick={() => void act(() => client.groupCalls.join(chat.groupId))}><PhoneIcon /></button>
          )}
          {chat.kind === 'group' && (
            <button type="button" className="secondary" onClick={() => navigate({ kind: 'group-info', groupId: chat.groupId, name: chat.name })}>Group info</button>
          )}
          {data?.memberCount !== undefined || chat.kind === 'group' ? (
            <button type="button" className="icon-button" aria-label="Chat options" title="Mute, pin or archive"
              onClick={() => void timerConversation(client, chat, false).then(setOptionsFor)}><MoreIcon /></button>
          ) : null}
        </div>
      </header>
      {chat.kind === 'group' && <GroupCallBar groupId={chat.groupId} />}
      {callError && (
        <div className="error pad dismissable" role="alert">
          <p>{callError}</p>
          <button type="button" className="secondary" onClick={() => setCallError(undefined)}>Dismiss</button>
        </div>
      )}
      {status && <p className="status-line pad" role="status">{status}</p>}
      {actionError && <p className="error pad" role="alert">{actionError}</p>}
      <ol ref={list} className="messages" aria-label="Messages">
        {buildTimeline(messages, now, unreadKnown ? unread.mark : undefined, data?.calls).map((item) => {
          switch (item.kind) {
            case 'call':
              return (
                <li key={item.key} className={`chat-notice call-entry call-${item.call.outcome}`} data-outcome={item.call.outcome}>
                  <PhoneIcon className="inline-icon" />{describeCall(item.call)} · {formatTime(item.call.endedAt)}
                </li>
              );
            case 'day':
              return <li key={item.key} className="day-separator"><span>{item.label}</span></li>;
            case 'unread':
              return <li key={item.key} className="unread-divider"><span>{item.count === 1 ? '1 unread message' : `${item.count} unread messages`}</span></li>;
            case 'notice':
              return <li key={item.key} className={`chat-notice ${item.message.notice}`}>{item.message.notice === 'timer' && <TimerIcon className="inline-icon" />}{item.message.body}</li>;
            case 'message': {
              const message = item.message;
              const original = message.replyTo !== undefined ? messages.find((m) => m.messageId === message.replyTo) : undefined;
              return (
                <MessageBubble key={item.key} message={message} me={me} group={chat.kind === 'group'} now={now}
                  offers={offersFor(message, me, now, canWrite)} original={original}
                  fromContact={data?.contacts.has(message.sender) ?? false} highlighted={highlight === message.messageId}
                  menuOpen={menuFor === message.messageId} onMenu={(open) => setMenuFor(open ? message.messageId : undefined)}
                  choices={choicesFor(message)} onQuote={goToMessage} />
              );
            }
          }
        })}
      </ol>
      {data && data.messages.length === 0 && <p className="muted pad center">No messages yet. Messages are end-to-end encrypted.</p>}
      {data && !data.isContact && <p className="muted pad">You can write once {title} accepts your contact request.</p>}
      <Composer chat={chat} canWrite={canWrite} picked={picked} onPick={offer} mode={mode} onEndMode={() => setMode(undefined)} />
      {deleting && (
        <Dialog title="Delete for everyone?" onClose={() => setDeleting(undefined)}>
          <p>This message will be deleted on every device in this chat{deleting.body ? ':' : '.'}</p>
          {deleting.body && <blockquote className="confirm-quote">{deleting.body.length > 200 ? `${deleting.body.slice(0, 199)}…` : deleting.body}</blockquote>}
          <div className="row end">
            <button type="button" className="secondary" onClick={() => setDeleting(undefined)}>Cancel</button>
            <button type="button" className="danger" onClick={() => void confirmDelete()}>Delete for everyone</button>
          </div>
        </Dialog>
      )}
      {forwarding && <ForwardDialog message={forwarding} onClose={() => setForwarding(undefined)} onDone={(to) => { setForwarding(undefined); setStatus(`Forwarded to ${to}.`); }} />}
      {optionsFor && <ChatOptionsDialog conversation={optionsFor} onClose={() => setOptionsFor(undefined)} />}
      {timerOpen && data && <DisappearingDialog current={data.timer} apply={setTimer} onClose={() => setTimerOpen(false)} />}
    </section>
  );
}

