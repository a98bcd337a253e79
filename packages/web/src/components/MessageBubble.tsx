/**
 * @module components/MessageBubble
 * One message in a chat: who sent it (groups), "Forwarded", the message it answers (activating
 * the quote goes to it), its file or text (links clickable, nothing else markup), "Edited", the
 * time left for a disappearing one, the time and delivery ticks, its reactions as chips under
 * it, and its menu (a button shown on hover or focus, always on touch screens, or a long press).
 */
import { useRef, type PointerEvent as ReactPointerEvent } from 'react';
import type { StoredMessage } from '@sotto/core';
import { formatRemaining, formatTime, STATUS_LABEL, STATUS_MARK } from '../app/format.js';
import { quoteOf, type MessageOffers } from '../app/message-view.js';
import { timeOf } from '../app/timeline.js';
import { AttachmentView } from './AttachmentView.js';
import { LinkedText } from './LinkedText.js';
import { MessageMenu, type MenuChoices } from './MessageMenu.js';
import { TimerIcon } from './icons.js';

/** How long a finger rests on a bubble before its menu opens (as phones do). */
const LONG_PRESS_MS = 500;

export interface ReactionChip {
  readonly emoji: string;
  readonly users: readonly string[];
  readonly mine: boolean;
}

/** Reactions by emoji, in the order each emoji first came. */
export function reactionChips(message: StoredMessage, me: string): ReactionChip[] {
  const chips = new Map<string, { users: string[]; mine: boolean }>();
  for (const r of [...(message.reactions ?? [])].sort((a, b) => a.sentAt - b.sentAt)) {
    const chip = chips.get(r.emoji) ?? { users: [], mine: false };
    chip.users.push(r.user === me ? 'you' : r.user);
    chip.mine ||= r.user === me;
    chips.set(r.emoji, chip);
  }
  return [...chips].map(([emoji, chip]) => ({ emoji, ...chip }));
}

export interface BubbleProps {
  readonly message: StoredMessage;
  readonly me: string;
  readonly group: boolean;
  readonly now: number;
  readonly offers: MessageOffers;
  /** The message this one answers, when it is still here. */
  readonly original: StoredMessage | undefined;
  readonly fromContact: boolean;
  readonly highlighted: boolean;
  readonly menuOpen: boolean;
  readonly onMenu: (open: boolean) => void;
  readonly choices: MenuChoices;
  readonly onQuote: (messageId: string) => void;
}

export function MessageBubble(props: BubbleProps) {
  const { message, me, offers, menuOpen, onMenu, choices } = props;
  const menuButton = useRef<HTMLButtonElement>(null);
  const press = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const deleted = message.deletedAt !== undefined;
  const chips = deleted ? [] : reactionChips(message, me);
  const ownReaction = message.reactions?.find((r) => r.user === me)?.emoji;
  const hasMenu = Object.values(offers).some(Boolean);
  const quote = props.original ? quoteOf(props.original) : undefined;
  const at = timeOf(message);

  const closeMenu = (refocus: boolean) => {
    onMenu(false);
    if (refocus) menuButton.current?.focus();
  };
  const startPress = (event: ReactPointerEvent) => {
    if (event.pointerType !== 'touch' || !hasMenu) return;
    press.current = setTimeout(() => onMenu(true), LONG_PRESS_MS);
  };
  const endPress = () => clearTimeout(press.current);

  const classes = ['message', message.outgoing ? 'out' : 'in', chips.length > 0 ? 'has-reactions' : '', props.highlighted ? 'highlight' : '', menuOpen ? 'menu-open' : ''];
  return (
    <li id={`message-${message.messageId}`} tabIndex={-1} className={classes.filter(Boolean).join(' ')} data-status={message.status}
      onPointerDown={startPress} onPointerUp={endPress} onPointerCancel={endPress} onPointerMove={endPress}
      onContextMenu={(e) => { if (hasMenu && !window.getSelection()?.toString()) { e.preventDefault(); onMenu(true); } }}>
      {props.group && !message.outgoing && <span className="sender">{message.sender}</span>}
      {message.forwarded && !deleted && <span className="forwarded">↪ Forwarded</span>}
      {message.replyTo !== undefined && !deleted && (
        <button type="button" className="quote" onClick={() => props.onQuote(message.replyTo!)}
          aria-label={quote ? `Reply to ${quote.sender}: ${quote.text}. Go to the message` : 'Reply to a message that is no longer here'}>
          {quote ? (
            <>
              <span className="quote-sender">{quote.sender}</span>
              <span className="quote-text">{quote.text}</span>
            </>
          ) : (
            <span className="quote-text">A message that is no longer here</span>
          )}
        </button>
      )}
      {deleted ? (
        <span className="body deleted"><em>{message.outgoing ? 'You deleted this message' : 'This message was deleted'}</em></span>
      ) : (
        <>
          {message.attachment && <AttachmentView message={message} fromContact={props.fromContact} />}
          {(message.body || !message.attachment) && <span className="body"><LinkedText text={message.body} /></span>}
        </>
      )}
      <span className="meta">
        {message.expiresAt !== undefined && (
          <span className="expires" title={`Disappears ${new Date(message.expiresAt).toLocaleString()}`} aria-label={`Disappears in ${formatRemaining(message.expiresAt - props.now)}`}>
            <TimerIcon className="inline-icon" />{formatRemaining(message.expiresAt - props.now)}
          </span>
        )}
        {message.editedAt !== undefined && !deleted && <span className="edited">Edited</span>}
        <time dateTime={new Date(at).toISOString()}>{formatTime(at)}</time>
        {message.outgoing && <span className={`status ${message.status}`} aria-label={STATUS_LABEL[message.status]} title={STATUS_LABEL[message.status]}>{STATUS_MARK[message.status]}</span>}
      </span>
      {chips.length > 0 && (
        <ul className="reactions" aria-label="Reactions">
          {chips.map((chip) => (
            <li key={chip.emoji}>
              <button type="button" className={chip.mine ? 'chip mine' : 'chip'} disabled={!offers.react}
                aria-label={`${chip.emoji} ${chip.users.length}: ${chip.users.join(', ')}.${chip.mine ? ' Remove your reaction' : ` React with ${chip.emoji}`}`}
                onClick={() => choices.react(chip.mine ? '' : chip.emoji)}>
                {chip.emoji}{chip.users.length > 1 && <span className="chip-count">{chip.users.length}</span>}
              </button>
            </li>
          ))}
        </ul>
      )}
      {hasMenu && (
        <button ref={menuButton} type="button" className="menu-button" aria-haspopup="menu" aria-expanded={menuOpen}
          aria-label={`Message actions${message.body ? `: ${message.body.slice(0, 40)}` : ''}`} onClick={() => onMenu(!menuOpen)}>⌄</button>
      )}
      {menuOpen && <MessageMenu offers={offers} ownReaction={ownReaction} choices={choices} onClose={closeMenu} outgoing={message.outgoing} />}
    </li>
  );
}
