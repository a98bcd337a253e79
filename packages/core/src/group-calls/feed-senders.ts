/**
 * @module group-calls/feed-senders
 * Whose frames each subscribed feed carries. The SFU decides what a subscription delivers, so it
 * could hand one member's frames on another's feed; they would open (they are genuine) and be
 * played or shown under the wrong name. A feed is bound to the sender whose frame first opened on
 * it, and frames of anyone else on that feed are refused.
 */
import { memberKey, type GroupCallMember } from './group-call-keyring.js';

/** What a frame that opened on a feed is: the feed's first, one more of its sender's, or someone else's. */
export type FeedSender = 'first' | 'same' | 'other';

export class FeedSenders {
  readonly #bound = new Map<number, string>();

  /** Binds `feed` to `from` on its first frame; says whether a later frame's sender is the bound one. */
  admit(feed: number, from: GroupCallMember): FeedSender {
    const key = memberKey(from);
    const bound = this.#bound.get(feed);
    if (bound === undefined) {
      this.#bound.set(feed, key);
      return 'first';
    }
    return bound === key ? 'same' : 'other';
  }

  /** The feed ended (unsubscribed): a later feed of the same number binds afresh. */
  forget(feed: number): void {
    this.#bound.delete(feed);
  }
}
