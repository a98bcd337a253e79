/**
 * @module storage/contact-rules
 * What a contact request or an answer to one changes, decided once for every
 * backend. A backend reads the current states, asks here, and applies the
 * plan inside its own transaction.
 */
import { ContactAction, ContactState, DeliveryKind, ErrorCode } from '@sotto/protocol';
import { ServerError } from '../errors.js';
import type { DeviceAddress, MailItem } from './types.js';

/** One contact row to write: `mine` is the acting member's view of the other, `theirs` the reverse. */
export interface ContactWrite {
  readonly side: 'mine' | 'theirs';
  readonly state: ContactState;
  readonly text: string;
}

export interface ContactPlan {
  readonly writes: readonly ContactWrite[];
  /** Mail for the other member's devices, if they are to be told. */
  readonly mail?: MailItem;
  /** Nothing changed that the other member would see (a repeat). */
  readonly duplicate: boolean;
}

function contactMail(kind: DeliveryKind, sender: DeviceAddress, payload: Uint8Array): MailItem {
  return { kind, sender, groupId: new Uint8Array(), messageId: new Uint8Array(), payload, epoch: 0n };
}

/**
 * `from` asks `to` for contact; `mine` is from's view of to, `theirs` to's view of from.
 * `call`: the request stands for a stranger's call attempt; it changes only the delivery kind.
 */
export function planContactRequest(from: DeviceAddress, text: string, call: boolean, mine: ContactState | undefined, theirs: ContactState | undefined): ContactPlan {
  if (theirs === ContactState.ACCEPTED && mine === ContactState.ACCEPTED) return { writes: [], duplicate: true };
  // A blocked requester learns nothing: the request looks sent and goes nowhere.
  if (theirs === ContactState.BLOCKED) return { writes: [{ side: 'mine', state: ContactState.REQUESTED, text }], duplicate: true };
  if (theirs === ContactState.PENDING) return { writes: [], duplicate: true };
  if (theirs === ContactState.REQUESTED) {
    // Both asked each other: that is consent on both sides.
    return {
      writes: [
        { side: 'mine', state: ContactState.ACCEPTED, text },
        { side: 'theirs', state: ContactState.ACCEPTED, text },
      ],
      mail: contactMail(DeliveryKind.CONTACT_ACCEPTED, from, new Uint8Array()),
      duplicate: false,
    };
  }
  return {
    writes: [
      { side: 'mine', state: ContactState.REQUESTED, text },
      { side: 'theirs', state: ContactState.PENDING, text },
    ],
    mail: contactMail(call ? DeliveryKind.CALL_REQUEST : DeliveryKind.CONTACT_REQUEST, from, new TextEncoder().encode(text)),
    duplicate: false,
  };
}

/** `owner` answers the other member's request; `current` is owner's view of them. */
export function planContactResponse(owner: DeviceAddress, action: ContactAction, current: ContactState | undefined): ContactPlan {
  const noPending = () => new ServerError(ErrorCode.INVALID_ARGUMENT, 'There is no pending contact request from that member.');
  switch (action) {
    case ContactAction.ACCEPT:
      if (current === ContactState.ACCEPTED) return { writes: [], duplicate: true };
      if (current !== ContactState.PENDING) throw noPending();
      return {
        writes: [
          { side: 'mine', state: ContactState.ACCEPTED, text: '' },
          { side: 'theirs', state: ContactState.ACCEPTED, text: '' },
        ],
        mail: contactMail(DeliveryKind.CONTACT_ACCEPTED, owner, new Uint8Array()),
        duplicate: false,
      };
    case ContactAction.DECLINE:
      // Declining is silent: the requester is not told.
      if (current !== ContactState.PENDING) throw noPending();
      return { writes: [{ side: 'mine', state: ContactState.DECLINED, text: '' }], duplicate: false };
    case ContactAction.BLOCK:
      return { writes: [{ side: 'mine', state: ContactState.BLOCKED, text: '' }], duplicate: false };
    default:
      throw new ServerError(ErrorCode.INVALID_ARGUMENT, 'Unknown contact action.');
  }
}
