/**
 * @module calls/group/received-feeds
 * What this device hears in a group call, feed by feed. Each frame received on a subscribed feed
 * is opened (or held until this device reaches the epoch it was sealed under); a feed is bound to
 * the sender of its first frame that opens; a participant is "heard" once, and "left" when the last
 * feed that carried them ends.
 *
 * Frames count only while they come from the subscription that is current for their feed. A
 * subscription being torn down keeps its connection until the SFU has answered the detach (a round
 * trip that takes seconds on a loaded machine), and packets sent before the SFU said the feed
 * ended can be handled after it: before, such a packet opened, found its feed forgotten, and
 * announced the participant who had just left as heard again (issue 20's "heard twice"). Frames
 * held for a subscription that ended are dropped for the same reason.
 */
import { FeedSenders, HeldFrames, memberKey, SFrameError, type GroupCallFrames, type GroupCallMediaHandlers, type GroupCallMember } from '@sotto/core';

interface HeldFrame<S> {
  readonly feed: number;
  readonly subscription: S;
  readonly frame: Uint8Array;
}

export class ReceivedFeeds<S> {
  /** Whose frames each feed carried (known from its first frame that opened). */
  private readonly feedMembers = new Map<number, GroupCallMember>();
  private readonly heard = new Set<string>();
  private readonly feedSenders = new FeedSenders();
  private readonly held: HeldFrames<HeldFrame<S>>;
  private opened = 0;
  private refused = 0;

  constructor(
    private readonly frames: GroupCallFrames,
    private readonly handlers: Pick<GroupCallMediaHandlers, 'onHeard' | 'onLeft' | 'onFrameRefused'>,
    /** Whether `subscription` is the one that carries `feed` now. */
    private readonly isCurrent: (feed: number, subscription: S) => boolean,
    /** Each opened frame's plaintext, with its sender's key (for the recording). */
    private readonly onPlaintext: (sender: string, plaintext: Uint8Array) => void,
    now: () => number,
  ) {
    this.held = new HeldFrames<HeldFrame<S>>(now);
  }

  get counts(): { framesOpened: number; framesRefused: number } {
    return { framesOpened: this.opened, framesRefused: this.refused };
  }

  /** A frame `subscription` received for `feed` (a copy: it may be held past the callback). */
  received(subscription: S, feed: number, frame: Uint8Array): void {
    if (!this.isCurrent(feed, subscription)) return;
    if (this.held.size > 0) this.retryHeld();
    this.open({ feed, subscription, frame }, true);
  }

  /** `feed` ended (the SFU said so, or this device unsubscribed): its participant left, unless another feed still carries them. */
  ended(feed: number): void {
    const member = this.feedMembers.get(feed);
    this.feedMembers.delete(feed);
    this.feedSenders.forget(feed);
    if (!member) return;
    const key = memberKey(member);
    if ([...this.feedMembers.values()].some((m) => memberKey(m) === key)) return;
    this.heard.delete(key);
    this.handlers.onLeft(member);
  }

  private open(held: HeldFrame<S>, mayHold: boolean): void {
    const { feed, frame } = held;
    let opened;
    try {
      opened = this.frames.open(frame);
    } catch (error) {
      if (mayHold && this.frames.isAhead(frame) && this.held.hold(held, this.frames.epoch)) return;
      this.refused++;
      if (error instanceof SFrameError) this.handlers.onFrameRefused(error.reason);
      return;
    }
    // A feed carries the sender whose frame first opened on it: the SFU must not relabel anyone.
    if (this.feedSenders.admit(feed, opened.from) === 'other') {
      this.refused++;
      this.handlers.onFrameRefused('UNKNOWN_KID');
      return;
    }
    this.opened++;
    if (!this.feedMembers.has(feed)) this.feedMembers.set(feed, opened.from);
    const key = memberKey(opened.from);
    if (!this.heard.has(key)) {
      this.heard.add(key);
      this.handlers.onHeard(opened.from);
    }
    this.onPlaintext(key, opened.plaintext);
  }

  /** Held frames open once this device moved to their epoch; past the hold they are refused; a held frame whose subscription ended is dropped. */
  private retryHeld(): void {
    for (const held of this.held.due(this.frames.epoch)) if (this.isCurrent(held.feed, held.subscription)) this.open(held, false);
  }
}
