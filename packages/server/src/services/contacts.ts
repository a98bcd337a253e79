/** @module services/contacts */
// Contact requests: the only thing a stranger can send a member, a short
// plain text with fixed fields. Everything else waits for acceptance.
import { ContactAction, isPlainText, LIMITS } from '@sotto/protocol';
import type { Clock } from '../clock.js';
import type { Store } from '../storage/store.js';
import type { ContactRecord, DeviceAddress } from '../storage/types.js';
import type { MailNotifier } from './mail-notifier.js';
import type { RingLimiter } from './ring-limiter.js';
import { invalid, requireUsername } from './validate.js';

export class ContactsService {
  constructor(
    private readonly store: Store,
    private readonly notifier: MailNotifier,
    private readonly now: Clock,
    private readonly rings: RingLimiter,
  ) {}

  /** `call`: a stranger's call attempt, which reaches the member only as this request. */
  async request(from: DeviceAddress, to: string, text: string, call = false): Promise<void> {
    requireUsername(to, 'to_username');
    if (to === from.username) throw invalid('You cannot send a contact request to yourself.');
    if (!isPlainText(text, LIMITS.contactRequestMaxChars)) {
      throw invalid(`text must be plain text of at most ${LIMITS.contactRequestMaxChars} characters, without control characters.`);
    }
    if (call) this.rings.take(from.username);
    // The store throws UNKNOWN_ACCOUNT when `to` does not exist.
    const mail = await this.store.putContactRequest(from, to, text, this.now(), { call });
    await this.notifier.stored(mail);
  }

  async respond(owner: DeviceAddress, peer: string, action: ContactAction): Promise<void> {
    requireUsername(peer);
    if (peer === owner.username) throw invalid('You cannot answer a contact request from yourself.');
    switch (action) {
      case ContactAction.ACCEPT:
      case ContactAction.DECLINE:
      case ContactAction.BLOCK:
        break;
      case ContactAction.UNSPECIFIED:
        throw invalid('action must be ACCEPT, DECLINE or BLOCK.');
      default:
        // Enum values this server does not know arrive as plain numbers.
        throw invalid(`Unknown contact action ${String(action)}.`);
    }
    const mail = await this.store.respondToContact(owner, peer, action, this.now());
    await this.notifier.stored(mail);
  }

  list(owner: DeviceAddress): Promise<ContactRecord[]> {
    return this.store.listContacts(owner.username);
  }
}

