/**
 * @module storage/domains/contacts
 * The contacts part of the storage contract: requests, answers and who reached whom.
 * What a request or an answer changes is decided once, in storage/contact-rules.ts.
 */
import type { ContactAction } from '@sotto/protocol';
import type { ContactRecord, DeviceAddress, StoredMail } from '../types.js';

/** How a contact request came about. */
export interface ContactRequestOptions {
  readonly call?: boolean;
  /**
   * SHA-256 of the link token the requester presented. A live link of `to` with this hash is used
   * up in the same transaction, the contact is marked viaLink, and the request is delivered as
   * LINKED_CONTACT_REQUEST (a call request stays CALL_REQUEST). When `to` is in lockdown and the
   * two are not accepted contacts, a request without a live link throws LINK_REQUIRED and counts
   * one refusal on `to`'s lockdown record, which is committed even though the request is refused.
   * A presented token that matches no live link also throws LINK_REQUIRED, lockdown or not.
   */
  readonly linkTokenHash?: Uint8Array;
}

export interface ContactReader {
  getContact(owner: string, peer: string): Promise<ContactRecord | undefined>;
  listContacts(owner: string): Promise<ContactRecord[]>;
  /**
   * Whether `sender` has reached `member` in a way the server saw: `member` holds a contact row for
   * `sender` (any state), or the two accounts share a group. Reports from strangers about members
   * who never reached them carry no weight.
   */
  hasReached(sender: string, member: string): Promise<boolean>;
}

export interface ContactWriter {
  /**
   * Records a contact request from `from` to `to` and queues it in `to`'s
   * mailboxes. Returns the mail result (recipients empty when nothing was sent).
   * With `call`, the request is a stranger's call attempt, delivered as CALL_REQUEST.
   */
  putContactRequest(from: DeviceAddress, to: string, text: string, now: number, options?: ContactRequestOptions): Promise<StoredMail>;
  /** Applies `owner`'s answer to `peer`'s request; notifies `peer` on accept/decline. */
  respondToContact(owner: DeviceAddress, peer: string, action: ContactAction, now: number): Promise<StoredMail>;
}

export interface ContactStore extends ContactReader, ContactWriter {}
