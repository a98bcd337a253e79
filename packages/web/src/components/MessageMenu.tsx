/**
 * @module components/MessageMenu
 * The actions on one message: a row of reactions, then Reply, Edit, Delete for everyone,
 * Forward, Copy text, as its rules allow. A menu by keyboard: focus starts on the first item,
 * the arrow keys move, Escape (or Tab, or a click elsewhere) closes it and focus goes back to
 * the button that opened it. On a phone it opens as a sheet at the bottom of the screen.
 */
import { useEffect, useRef, type KeyboardEvent } from 'react';
import type { MessageOffers } from '../app/message-view.js';

export const REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🙏'] as const;

export interface MenuChoices {
  reply(): void;
  react(emoji: string): void;
  edit(): void;
  deleteForEveryone(): void;
  forward(): void;
  copy(): void;
}

export function MessageMenu({ offers, ownReaction, choices, onClose, outgoing }: {
  offers: MessageOffers;
  /** The member's current reaction: choosing it again takes it back. */
  ownReaction: string | undefined;
  choices: MenuChoices;
  onClose: (refocus: boolean) => void;
  outgoing: boolean;
}) {
  const menu = useRef<HTMLDivElement>(null);
  const closeRef = useRef(onClose);
  closeRef.current = onClose;

  useEffect(() => {
    menu.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
    const outside = (event: PointerEvent) => {
      if (!menu.current?.contains(event.target as Node)) closeRef.current(false);
    };
    document.addEventListener('pointerdown', outside, true);
    return () => document.removeEventListener('pointerdown', outside, true);
  }, []);

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const items = [...(menu.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])];
    const at = items.indexOf(document.activeElement as HTMLElement);
    const move = (to: number) => {
      event.preventDefault();
      items[(to + items.length) % items.length]?.focus();
    };
    switch (event.key) {
      case 'Escape':
        event.preventDefault();
        event.stopPropagation();
        return closeRef.current(true);
      case 'Tab':
        return closeRef.current(true);
      case 'ArrowDown':
      case 'ArrowRight':
        return move(at + 1);
      case 'ArrowUp':
      case 'ArrowLeft':
        return move(at - 1);
      case 'Home':
        return move(0);
      case 'End':
        return move(items.length - 1);
    }
  };

  /** Runs a choice, closing the menu first (a dialog it opens takes focus next). */
  const pick = (choice: () => void) => () => {
    closeRef.current(false);
    choice();
  };

  return (
    <div ref={menu} className={outgoing ? 'message-menu out' : 'message-menu in'} role="menu" aria-label="Message actions" onKeyDown={onKeyDown}>
      {offers.react && (
        <div className="reaction-picker" role="group" aria-label="React">
          {REACTIONS.map((emoji) => (
            <button key={emoji} type="button" role="menuitem" className={ownReaction === emoji ? 'chosen' : undefined}
              aria-label={ownReaction === emoji ? `Remove your ${emoji} reaction` : `React with ${emoji}`}
              onClick={pick(() => choices.react(ownReaction === emoji ? '' : emoji))}>{emoji}</button>
          ))}
        </div>
      )}
      {offers.reply && <button type="button" role="menuitem" onClick={pick(choices.reply)}>Reply</button>}
      {offers.edit && <button type="button" role="menuitem" onClick={pick(choices.edit)}>Edit</button>}
      {offers.forward && <button type="button" role="menuitem" onClick={pick(choices.forward)}>Forward</button>}
      {offers.copy && <button type="button" role="menuitem" onClick={pick(choices.copy)}>Copy text</button>}
      {offers.deleteForEveryone && <button type="button" role="menuitem" className="danger-item" onClick={pick(choices.deleteForEveryone)}>Delete for everyone</button>}
    </div>
  );
}
