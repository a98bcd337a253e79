/** @module services/contacts */
// Contact requests: the only thing a stranger can send a member, a short
// plain text with fixed fields. Everything else waits for acceptance. A member
// in lockdown mode is reached only through a contact link they shared.
import { AnomalyKind, ContactAction, DeliveryKind, ErrorCode, isPlainText, LIMITS } from '@sotto/protocol';
import type { Clock } from '../clock.js';
import { ServerError } from '../errors.js';
import type { RatePolicy } from '../rate-limits/rate-policy.js';
import type { Store } from '../storage/store.js';
import type { ContactRecord, DeviceAddress } from '../storage/types.js';
import type { AnomalyService } from './anomalies.js';
import { rateSubject, type Caller } from './caller.js';
import { linkTokenHash, type LockdownService } from './lockdown.js';
import type { MailNotifier } from './mail-notifier.js';
import type { Restrictions } from './restrictions.js';
import { invalid, requireUsername } from './validate.js';

export interface ContactRequestInput {
  readonly to: string;
  readonly text: string;
  /** A stranger's call attempt, which reaches the member only as this request. */
  readonly call: boolean;
  /** From the member's contact link; empty when none. */
  readonly linkToken: Uint8Array;
}

export interface ContactsDeps {
  readonly store: Store;
  readonly notifier: MailNotifier;
  readonly now: Clock;
  readonly rates: RatePolicy;
  readonly restrictions: Restrictions;
  readonly lockdown: LockdownService;
  readonly anomalies: AnomalyService;
}

export class ContactsService {
  constructor(private readonly deps: ContactsDeps) {}

  async request(caller: Caller, input: ContactRequestInput): Promise<void> {
    const from = caller.device;
    const { to, text, call, linkToken } = input;
    requireUsername(to, 'to_username');
    if (to === from.username) throw invalid('You cannot send a contact request to yourself.');
    if (!isPlainText(text, LIMITS.contactRequestMaxChars)) {
      throw invalid(`text must be plain text of at most ${LIMITS.contactRequestMaxChars} characters, without control characters.`);
    }
    if (linkToken.byteLength !== 0 && linkToken.byteLength !== LIMITS.contactLinkTokenBytes) {
      throw invalid(`link_token must be ${LIMITS.contactLinkTokenBytes} bytes, or empty.`);
    }
    await this.deps.restrictions.check(from.username);
    // A call request is a call: it counts against the ring limit, not the contact request one.
    await this.deps.rates.take(call ? 'ring' : 'contactRequest', rateSubject(caller), to);
    let mail;
    try {
      // The store throws UNKNOWN_ACCOUNT when `to` does not exist, LINK_REQUIRED in lockdown.
      mail = await this.deps.store.putContactRequest(from, to, text, this.deps.now(), {
        call,
        ...(linkToken.byteLength > 0 ? { linkTokenHash: linkTokenHash(linkToken) } : {}),
      });
    } catch (error) {
      if (error instanceof ServerError && error.code === ErrorCode.LINK_REQUIRED) await this.deps.lockdown.announce(to);
      throw error;
    }
    // A stranger's call attempt is the server's own evidence for the fresh-account-burst rule.
    if (call && !mail.duplicate) this.deps.anomalies.observe(from, AnomalyKind.UNSOLICITED_CALL, to);
    // The kind keeps a stranger's request from waking the member's device with a push (rule 1).
    await this.deps.notifier.stored(mail, { kind: call ? DeliveryKind.CALL_REQUEST : DeliveryKind.CONTACT_REQUEST, from: from.username });
  }

  async respond(owner: DeviceAddress, peer: string, action: ContactAction): Promise<void> {
    requireUsername(peer);
    if (peer === owner.username) throw invalid('You cannot answer a contact request from yourself.');
    switch (action) {
      case ContactAction.ACCEPT:
      case ContactAction.DECLINE:
      case ContactAction.BLOCK:
      case ContactAction.UNBLOCK:
      case ContactAction.CANCEL:
        break;
      case ContactAction.UNSPECIFIED:
        throw invalid('action must be ACCEPT, DECLINE, BLOCK, UNBLOCK or CANCEL.');
      default:
        // Enum values this server does not know arrive as plain numbers.
        throw invalid(`Unknown contact action ${String(action)}.`);
    }
    const mail = await this.deps.store.respondToContact(owner, peer, action, this.deps.now());
    // Only an acceptance is worth a push; a decline, a block or a withdrawn request wakes nobody.
    const kind = action === ContactAction.ACCEPT ? DeliveryKind.CONTACT_ACCEPTED : DeliveryKind.CONTACT_DECLINED;
    await this.deps.notifier.stored(mail, { kind, from: owner.username });
  }

  list(owner: DeviceAddress): Promise<ContactRecord[]> {
    return this.deps.store.listContacts(owner.username);
  }
}
