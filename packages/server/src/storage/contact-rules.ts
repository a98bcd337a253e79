/**
 * @module storage/contact-rules
 * What a contact request or an answer to one changes, decided once for every
 * backend. A backend reads the current states, asks here, and applies the
 * plan inside its own transaction. That includes the lockdown gate: whether
 * the member's lockdown or a bad contact link refuses a request outright.
 */
import { ContactAction, ContactState, DeliveryKind, ErrorCode } from '@sotto/protocol';
import { ServerError } from '../errors.js';
import type { DeviceAddress, MailItem, StoredMail } from './types.js';

/** One contact row to write: `mine` is the acting member's view of the other, `theirs` the reverse. */
export interface ContactWrite {
  readonly side: 'mine' | 'theirs';
  readonly state: ContactState;
  readonly text: string;
  /** Whether the row's request came through its owner's contact link; absent keeps what the row says (false for a new row). */
  readonly viaLink?: boolean;
}

export interface ContactPlan {
  readonly writes: readonly ContactWrite[];
  /** Mail for the other member's devices, if they are to be told. */
  readonly mail?: MailItem;
  /** Nothing changed that the other member would see (a repeat). */
  readonly duplicate: boolean;
}

/** What the link token of a request turned out to be, once the backend tried to use it up. */
export type LinkUse =
  /** No token was presented. */
  | 'none'
  /** A live link of the addressed member matched, and was used up. */
  | 'used'
  /** A token was presented that matches no live link of the addressed member. */
  | 'invalid';

/** The facts about a request that only the backend can read, inside its transaction. */
export interface ContactRequestFacts {
  /** The requester's view of the addressed member. */
  readonly mine: ContactState | undefined;
  /** The addressed member's view of the requester. */
  readonly theirs: ContactState | undefined;
  /** The addressed member's row came through their contact link. */
  readonly theirsViaLink: boolean;
  readonly link: LinkUse;
  /** The addressed member is in lockdown. */
  readonly lockdown: boolean;
}

/** A request refused before anything was written. */
export interface ContactRefusal {
  readonly error: ServerError;
  /** Lockdown refused it: it goes on the addressed member's refused count. */
  readonly counted: boolean;
}

const LINK_ONLY = 'That member accepts contact requests only through a contact link they shared.';
const BAD_LINK = 'That contact link is not valid: it was used, has expired, or is someone else\'s.';

/**
 * Whether the request is refused by the addressed member's lockdown or by a bad link. A member in
 * lockdown takes requests only through their link, except from members they accepted; a token
 * that matches no live link is refused whether or not they are in lockdown, so nobody can probe
 * for lockdown with a made-up token. A blocked requester is refused as a stranger is: the answer
 * must not tell them they are blocked.
 */
export function refuseContactRequest(facts: ContactRequestFacts): ContactRefusal | undefined {
  const shielded = facts.lockdown && facts.theirs !== ContactState.ACCEPTED;
  if (facts.link === 'invalid') return { error: new ServerError(ErrorCode.LINK_REQUIRED, BAD_LINK), counted: shielded };
  if (facts.link === 'none' && shielded) return { error: new ServerError(ErrorCode.LINK_REQUIRED, LINK_ONLY), counted: true };
  return undefined;
}

/** What a backend's putContactRequest transaction ends with: mail stored, or a refusal to throw once committed. */
export type ContactOutcome = { readonly stored: StoredMail } | { readonly refused: ServerError };

/** The outcome as putContactRequest answers it: the refusal is thrown only after its count was committed. */
export function settleContactRequest(outcome: ContactOutcome): StoredMail {
  if ('refused' in outcome) throw outcome.refused;
  return outcome.stored;
}

function contactMail(kind: DeliveryKind, sender: DeviceAddress, payload: Uint8Array): MailItem {
  return { kind, sender, groupId: new Uint8Array(), messageId: new Uint8Array(), payload, epoch: 0n };
}

function requestKind(call: boolean, viaLink: boolean): DeliveryKind {
  if (call) return DeliveryKind.CALL_REQUEST;
  return viaLink ? DeliveryKind.LINKED_CONTACT_REQUEST : DeliveryKind.CONTACT_REQUEST;
}

/**
 * `from` asks the other member for contact, once refuseContactRequest let it through.
 * `call`: the request stands for a stranger's call attempt; it changes only the delivery kind.
 * `viaLink`: it came with a live link of the other member's, now used up.
 */
export function planContactRequest(from: DeviceAddress, text: string, call: boolean, viaLink: boolean, facts: ContactRequestFacts): ContactPlan {
  const { mine, theirs } = facts;
  if (theirs === ContactState.ACCEPTED && mine === ContactState.ACCEPTED) return { writes: [], duplicate: true };
  // A blocked requester learns nothing: the request looks sent and goes nowhere.
  if (theirs === ContactState.BLOCKED) return { writes: [{ side: 'mine', state: ContactState.REQUESTED, text, viaLink: false }], duplicate: true };
  // A repeat while the first is pending reaches nobody, unless it now comes through the member's
  // link: a member who turned lockdown on after the first shows only linked requests.
  if (theirs === ContactState.PENDING && !(viaLink && !facts.theirsViaLink)) return { writes: [], duplicate: true };
  if (theirs === ContactState.REQUESTED) {
    // Both asked each other: that is consent on both sides.
    return {
      writes: [
        { side: 'mine', state: ContactState.ACCEPTED, text },
        { side: 'theirs', state: ContactState.ACCEPTED, text, ...(viaLink ? { viaLink } : {}) },
      ],
      mail: contactMail(DeliveryKind.CONTACT_ACCEPTED, from, new Uint8Array()),
      duplicate: false,
    };
  }
  return {
    writes: [
      { side: 'mine', state: ContactState.REQUESTED, text, viaLink: false },
      { side: 'theirs', state: ContactState.PENDING, text, viaLink },
    ],
    mail: contactMail(requestKind(call, viaLink), from, new TextEncoder().encode(text)),
    duplicate: false,
  };
}

/**
 * `owner` answers the other member's request (or takes back their own); `current` is owner's view
 * of them, `theirs` their view of owner.
 */
export function planContactResponse(owner: DeviceAddress, action: ContactAction, current: ContactState | undefined, theirs?: ContactState): ContactPlan {
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
    case ContactAction.UNBLOCK:
      // Back to neither: the blocked member is not told, and a new request of theirs reaches the member again.
      if (current !== ContactState.BLOCKED) throw new ServerError(ErrorCode.INVALID_ARGUMENT, 'That member is not blocked.');
      return { writes: [{ side: 'mine', state: ContactState.DECLINED, text: '' }], duplicate: false };
    case ContactAction.CANCEL:
      // The member takes back their own pending request: it goes from the other side too, and
      // their devices are told so that it leaves their list. A new request may follow later.
      if (current !== ContactState.REQUESTED) throw new ServerError(ErrorCode.INVALID_ARGUMENT, 'There is no request of yours to that member to take back.');
      // A request the other member never saw (they had blocked the owner) is only forgotten here.
      if (theirs !== ContactState.PENDING) return { writes: [{ side: 'mine', state: ContactState.DECLINED, text: '' }], duplicate: false };
      return {
        writes: [
          { side: 'mine', state: ContactState.DECLINED, text: '' },
          { side: 'theirs', state: ContactState.DECLINED, text: '' },
        ],
        mail: contactMail(DeliveryKind.CONTACT_DECLINED, owner, new Uint8Array()),
        duplicate: false,
      };
    default:
      throw new ServerError(ErrorCode.INVALID_ARGUMENT, 'Unknown contact action.');
  }
}
