/**
 * @module fuzz/lib/call-events
 * Decodes fuzz bytes into a sequence of call-machine events, four bytes an event: what happens,
 * who sends it (or which call id), a flag byte, and how far the clock moves first. The pools are
 * small on purpose, so that ids and senders collide: glare needs two rings between the same
 * people, a replay needs the id of a call that ended.
 */
import { ByteReader } from './byte-reader.mjs';

export const T0 = 1_000_000;
/** Sorted: glare keeps the smaller id, so the order of these matters. */
const CALL_IDS = ['c-high', 'c-low', 'c-mid', 'c-new', 'c-x1', 'c-x2'];
const SENDERS = [['alice', 'alice-phone'], ['alice', 'alice-laptop'], ['carol', 'carol-phone'], ['mallory', 'mallory-1'], ['me', 'me-laptop']];
/** This device; `me-laptop` above is another device of its account (linked devices). */
const SELF = { user: 'me', device: 'me-phone' };
/** Clock moves: none, a little, just under and at the ring timeout, past the ring age, backwards. */
const CLOCK_STEPS = [0, 1, 1_000, 44_999, 45_000, 60_001, -1_000];
/** How old a ring is when it arrives: fresh, at and past the 60 s limit, from the future (within and past the skew). */
const RING_AGES = [0, 1_000, 60_000, 60_001, -5_000, -120_000, -120_001, -3_600_000];
const HANGUP_REASONS = ['normal', 'glare', 'timeout', 'failed'];
const MAX_EVENTS = 64;

/**
 * Every device talks to this one through a conversation of its own, `g-<device>` (so a signal
 * from anyone but the call's peer never names the call's conversation), which may have gained a
 * third member or lost this device; `g2-<device>` is a second 1:1 with the same device. This
 * account's laptop speaks in alice's phone's conversation, which then holds it too.
 */
function conversationOf(fromUser, fromDevice, flags) {
  if (fromUser === SELF.user) {
    return { groupId: 'g-alice-phone', self: SELF, others: [{ user: 'alice', device: 'alice-phone' }, { user: fromUser, device: fromDevice }] };
  }
  switch (flags >> 6) {
    case 1: return { groupId: `g2-${fromDevice}`, self: SELF, others: [{ user: fromUser, device: fromDevice }] };
    case 2: return { groupId: `g-${fromDevice}`, self: SELF, others: [{ user: fromUser, device: fromDevice }, { user: 'eve', device: 'eve-1' }] };
    case 3: return { groupId: `g-${fromDevice}`, self: SELF, others: [] };
    default: return { groupId: `g-${fromDevice}`, self: SELF, others: [{ user: fromUser, device: fromDevice }] };
  }
}

function remote(input, now, makeSignal) {
  const [fromUser, fromDevice] = input.pick(SENDERS);
  const flags = input.byte();
  // Mostly from a contact: the interesting paths start with a ring that is admitted.
  const signal = makeSignal(input.pick(CALL_IDS), flags);
  // Bit 2 chooses another conversation than the usual 1:1 (which one, bits 6-7), so most stay 1:1.
  const conversation = conversationOf(fromUser, fromDevice, (flags & 0x04) === 0 ? 0 : flags);
  // Bit 3 aims it at another device of this account (the laptop); bits 0-1 of a sibling's name the phone.
  const toDevice = (flags & 0x08) !== 0 ? 'me-laptop' : fromUser === SELF.user ? 'alice-phone' : (flags & 0x03) === 1 ? SELF.device : null;
  return {
    type: 'remote', signal, fromUser, fromDevice, toDevice, conversation, now, senderIsContact: (flags & 0x10) === 0, senderBlocked: (flags & 0x20) !== 0,
  };
}

const EVENT_MAKERS = [
  (input, now) => remote(input, now, (callId, flags) => ({ type: 'ring', callId, media: 'audio', sentAt: now - RING_AGES[flags % RING_AGES.length] })),
  (input, now) => remote(input, now, (callId) => ({ type: 'accept', callId })),
  (input, now) => remote(input, now, (callId) => ({ type: 'decline', callId })),
  (input, now) => remote(input, now, (callId) => ({ type: 'busy', callId })),
  (input, now) => remote(input, now, (callId) => ({ type: 'offer', callId, sdp: 'v=0 remote offer' })),
  (input, now) => remote(input, now, (callId) => ({ type: 'answer', callId, sdp: 'v=0 remote answer' })),
  (input, now) => remote(input, now, (callId, flags) => ({ type: 'ice', callId, candidate: `cand-${flags}` })),
  (input, now) => remote(input, now, (callId, flags) => ({ type: 'hangup', callId, reason: HANGUP_REASONS[flags % HANGUP_REASONS.length] })),
  (input, now) => {
    const [peer, peerDevice] = input.pick(SENDERS);
    return { type: 'placeCall', callId: input.pick(CALL_IDS), peer, conversation: conversationOf(peer, peerDevice, 0), now };
  },
  (input, now) => ({ type: 'localAccept', now }),
  (input, now) => ({ type: 'localDecline', now }),
  (input, now) => ({ type: 'localHangup', now }),
  (input, now) => ({ type: 'timeout', callId: input.pick(CALL_IDS), now }),
  // The connect timer: consent was given but media never came (or a stale timer of another call).
  (input, now) => ({ type: 'connectTimeout', callId: input.pick(CALL_IDS), now }),
  (input, now) => ({ type: 'tick', now }),
  (input, now) => ({ type: 'mediaConnected', now }),
  (input, now) => ({ type: 'mediaFailed', now }),
  (input, now) => ({ type: 'localDescription', sdp: 'v=0 local', now }),
  (input, now) => ({ type: 'localCandidate', candidate: `local-${input.byte()}`, now }),
  // A commit in one device's conversation: it may leave the two, or add a third, or drop this device.
  (input, now) => {
    const [user, device] = input.pick(SENDERS);
    return { type: 'membersChanged', conversation: conversationOf(user, device, input.byte() | 0x04), now };
  },
  // A voice call's move to video: the peer's ask, accept or decline, and the member's.
  (input, now) => remote(input, now, (callId) => ({ type: 'videoRequest', callId })),
  (input, now) => remote(input, now, (callId) => ({ type: 'videoAccept', callId })),
  (input, now) => remote(input, now, (callId) => ({ type: 'videoDecline', callId })),
  (input, now) => ({ type: 'localRequestVideo', now }),
  (input, now) => ({ type: 'localAcceptVideo', now }),
  (input, now) => ({ type: 'localDeclineVideo', now }),
  (input, now) => ({ type: 'localCancelVideo', now }),
];

/** The events encoded in `bytes`, at most MAX_EVENTS of them. */
export function decodeCallEvents(bytes) {
  const input = new ByteReader(bytes);
  const events = [];
  let now = T0;
  while (input.remaining > 0 && events.length < MAX_EVENTS) {
    const make = input.pick(EVENT_MAKERS);
    now += input.pick(CLOCK_STEPS);
    events.push(make(input, now));
  }
  return events;
}
