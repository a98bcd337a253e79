/**
 * @module testing/call-rules
 * The consent rules of the call machine, checked after one transition. The exhaustive explorer
 * (calls/call-machine.explore.test.ts) and the fuzzer's call-machine target both run this one
 * checker, so the rules cannot drift apart between them.
 *
 * The ghost is what the path has done as the rules see it, kept by the checker rather than read
 * from the machine: which calls this device placed, which the member or the peer accepted, what
 * rings, which call went silent, which conversation each call is bound to and who is in it, which
 * call ids were used, how often each contact's rings were answered, and which call's connect
 * timer runs. Plain sorted data, so it can serve as a map key.
 *
 * The generators give every sending device a conversation of its own (`g-<device>`), which may
 * gain a member; so a signal from anyone but the call's peer never names the call's conversation.
 *
 * Linked devices: a conversation may hold several devices of this account and of the peer's; the
 * rules hold the call to the two accounts, to the peer device it is bound to once one accepted,
 * and let a sibling's answer (or the caller's signal to a sibling) end a ringing callee quietly.
 */
import { isConnecting, isLive } from '../calls/call-state.js';
import type { CallState } from '../calls/call-state.js';
import { RING_BURST, RING_MAX_AGE_MS, RING_MAX_SKEW_MS, RING_REFILL_MS, RTC_EFFECTS } from '../calls/call-types.js';
import type { CallEffect, CallEvent, ConversationView } from '../calls/call-types.js';

/** One contact's answered rings (shown, answered busy, or won by glare) in the last minute of its own clock. */
export interface GhostRingTally {
  readonly user: string;
  /** The latest event time of an answered ring from this contact: never moves back. */
  readonly clock: number;
  /** When each answered ring came, by that clock, within RING_TALLY_WINDOW_MS of it. */
  readonly answered: readonly number[];
  /** A ring flood from this contact was reported and no ring of theirs was admitted since. */
  readonly floodReported: boolean;
}

export interface CallRulesGhost {
  /** Calls this device placed, as "callId|peer": the checker's own record, not the machine's. */
  readonly placed: readonly string[];
  readonly localAccepted: readonly string[];
  readonly remoteAccepted: readonly string[];
  /** The call shown as ringing (from showIncomingRing until stopRinging). */
  readonly ringing: string | null;
  /** The call that ended; nothing may be sent or touched for it again. */
  readonly silent: string | null;
  /** Each call's conversation, as "callId|groupId", fixed when it rang or was placed. */
  readonly bound: readonly string[];
  /** The members of each conversation as last heard, as "groupId=*self:device,user:device,...". */
  readonly views: readonly string[];
  /** Call ids that rang here, were placed from here, or were answered busy: none may ring again. */
  readonly used: readonly string[];
  readonly tallies: readonly GhostRingTally[];
  /** The call whose connect timer runs (from startConnectTimer until cancelled or fired). */
  readonly connectTimer: string | null;
  /**
   * The move to video under way, one round at a time: the call, whether this member consented in
   * this round (asked, accepted, or asked at the same time as the peer) and whether the peer did,
   * and how many descriptions of the move this device sent and applied. Gone when the move ends
   * (done, declined, withdrawn, expired), so consent never carries over to a later round.
   */
  readonly videoRound: { readonly callId: string; readonly local: boolean; readonly remote: boolean; readonly sent: number; readonly applied: number } | null;
}

export const NO_CALL_GHOST: CallRulesGhost = {
  placed: [], localAccepted: [], remoteAccepted: [], ringing: null, silent: null, bound: [], views: [], used: [], tallies: [], connectTimer: null,
  videoRound: null,
};

/** The window the ring tally is checked over, and how many answered rings it may hold. */
export const RING_TALLY_WINDOW_MS = 60_000;
export const MAX_ANSWERED_RINGS_PER_WINDOW = RING_BURST + Math.floor(RING_TALLY_WINDOW_MS / RING_REFILL_MS);

const add = (list: readonly string[], id: string) => (list.includes(id) ? list : [...list, id].sort());
const currentCall = (s: CallState) => (s.kind === 'idle' ? null : s.callId);

const viewKeys = new WeakMap<ConversationView, string>();
function viewKey(view: ConversationView): string {
  let key = viewKeys.get(view);
  if (key === undefined) {
    const members = [`*${view.self.user}:${view.self.device}`, ...view.others.map((o) => `${o.user}:${o.device}`).sort()];
    viewKeys.set(view, (key = `${view.groupId}=${members.join(',')}`));
  }
  return key;
}

/**
 * True when the conversation (a view key) holds, besides this device, only devices of this
 * account and `peer`'s, at least one of the peer's, and `device` among them when one is named.
 */
function betweenAccounts(key: string | undefined, peer: string, device: string | null): boolean {
  if (key === undefined) return false;
  const [selfEntry = '', ...others] = key.slice(key.indexOf('=') + 1).split(',').filter((m) => m !== '');
  const self = selfEntry.slice(1, selfEntry.indexOf(':'));
  const users = others.map((m) => m.slice(0, m.indexOf(':')));
  if (peer === self || !users.includes(peer) || !users.every((u) => u === peer || u === self)) return false;
  return device === null || others.includes(`${peer}:${device}`);
}

const selfOf = (event: Extract<CallEvent, { type: 'remote' }>) => event.conversation.self;
/** For this device: named to it, or to no device in particular. */
const forThisDevice = (event: Extract<CallEvent, { type: 'remote' }>) => event.toDevice === null || event.toDevice === selfOf(event).device;
/** Addressed to the live call: from its peer (its bound device once bound), for this device, with its id. */
function addressedTo(pre: CallState, event: CallEvent): boolean {
  return event.type === 'remote' && isLive(pre) && event.fromUser === pre.peer
    && (pre.peerDevice === null || event.fromDevice === pre.peerDevice) && event.signal.callId === pre.callId && forThisDevice(event);
}
const ELSEWHERE: readonly string[] = ['answered-elsewhere', 'declined-elsewhere', 'busy-elsewhere'];
function withView(views: readonly string[], view: ConversationView): readonly string[] {
  const key = viewKey(view);
  return views.includes(key) ? views : [...views.filter((v) => !v.startsWith(`${view.groupId}=`)), key].sort();
}
function viewOf(views: readonly string[], groupId: string): string | undefined {
  const prefix = `${groupId}=`;
  return views.find((v) => v.startsWith(prefix));
}
function boundOf(ghost: CallRulesGhost, callId: string): string | undefined {
  const prefix = `${callId}|`;
  return ghost.bound.find((b) => b.startsWith(prefix))?.slice(prefix.length);
}

/** Events that tell the call who is in a conversation (a signal the call must ignore does not). */
function membershipNews(pre: CallState, event: CallEvent): ConversationView | null {
  if (event.type === 'membersChanged' || event.type === 'placeCall') return event.conversation;
  if (event.type === 'remote' && event.signal.type !== 'ring' && addressedTo(pre, event)) return event.conversation;
  return null;
}

function tallyOf(ghost: CallRulesGhost, user: string): GhostRingTally {
  return ghost.tallies.find((t) => t.user === user) ?? { user, clock: -Infinity, answered: [], floodReported: false };
}

function withTally(ghost: CallRulesGhost, tally: GhostRingTally): CallRulesGhost {
  const tallies = [...ghost.tallies.filter((t) => t.user !== tally.user), tally].sort((a, b) => (a.user < b.user ? -1 : 1));
  return { ...ghost, tallies };
}

/**
 * A call this device placed needs the peer's accept; any other call needs the member's. The role
 * label is the machine's, so a caller role is only believed for a call this device really placed.
 */
function consented(ghost: CallRulesGhost, call: { callId: string; role: 'caller' | 'callee' }): boolean {
  if (call.role === 'callee') return ghost.localAccepted.includes(call.callId);
  return ghost.placed.some((p) => p.startsWith(`${call.callId}|`)) && ghost.remoteAccepted.includes(call.callId);
}

/** The active call's move to video, both members having consented to it in this round. */
function movingToVideo(ghost: CallRulesGhost, pre: CallState, callId: string): boolean {
  return pre.kind === 'active' && pre.callId === callId && ghost.videoRound?.callId === callId && ghost.videoRound.local && ghost.videoRound.remote;
}

/** Checks one transition and returns the ghost after it; calls `fail` (which must throw) on a broken rule. */
export function checkCallRules(
  pre: CallState,
  ghostIn: CallRulesGhost,
  event: CallEvent,
  post: CallState,
  effects: readonly CallEffect[],
  fail: (why: string) => never,
): CallRulesGhost {
  let ghost = ghostIn;
  // The member accepts what the screen shows ringing; the caller's consent is the peer's accept.
  if (event.type === 'localAccept' && ghost.ringing !== null) ghost = { ...ghost, localAccepted: add(ghost.localAccepted, ghost.ringing) };
  if (event.type === 'placeCall') ghost = { ...ghost, placed: add(ghost.placed, `${event.callId}|${event.peer}`) };
  // Any device of the peer may accept for the peer; an accept meant for another device of ours is not ours.
  if (event.type === 'remote' && event.signal.type === 'accept' && forThisDevice(event)
    && ghost.placed.includes(`${event.signal.callId}|${event.fromUser}`)) {
    ghost = { ...ghost, remoteAccepted: add(ghost.remoteAccepted, event.signal.callId) };
  }
  // Video in a voice call, round by round: the member's own ask or accept, and the peer's, each
  // counted only when the machine took it (the state shows a move under way after it).
  // A round lasts while a move is under way: with none before this event, any consent starts afresh.
  const round = pre.kind === 'active' && pre.upgrade && ghost.videoRound?.callId === pre.callId ? ghost.videoRound : { callId: currentCall(pre) ?? '', local: false, remote: false, sent: 0, applied: 0 };
  const moveAfter = post.kind === 'active' ? post.upgrade : undefined;
  if ((event.type === 'localRequestVideo' || event.type === 'localAcceptVideo') && pre.kind === 'active' && moveAfter && post !== pre) {
    ghost = { ...ghost, videoRound: { ...round, local: true } };
  } else if (event.type === 'remote' && (event.signal.type === 'videoRequest' || event.signal.type === 'videoAccept') && pre.kind === 'active' && addressedTo(pre, event)
    && event.conversation.groupId === boundOf(ghost, pre.callId) && moveAfter && post !== pre) {
    // A peer's ask while this member's own was pending (glare) is consent on both sides at once.
    const glare = event.signal.type === 'videoRequest' && pre.upgrade?.step === 'asked' && pre.upgrade.by === 'local';
    ghost = { ...ghost, videoRound: { ...round, remote: true, local: round.local || glare } };
  } else if (pre.kind === 'active' && !pre.upgrade) {
    ghost = { ...ghost, videoRound: null };
  }
  // A connect timeout is the running timer firing: it runs no more, whatever the machine does.
  if (event.type === 'connectTimeout' && ghost.connectTimer === event.callId) ghost = { ...ghost, connectTimer: null };
  const news = membershipNews(pre, event);
  const views = news ? withView(ghost.views, news) : ghost.views;
  if (views !== ghost.views) ghost = { ...ghost, views };
  const newCall = isLive(post) && post.callId !== currentCall(pre);
  const rtcOwner = isLive(post) ? post : isLive(pre) ? pre : null;
  const ring = event.type === 'remote' && event.signal.type === 'ring' ? event : null;
  const ringWasUsed = ring !== null && ghost.used.includes(ring.signal.callId);
  let answeredRing = false;

  for (const effect of effects) {
    // (a) consent: no RTC and no SDP/ICE/accept on the wire for a call not consented to.
    if (RTC_EFFECTS.has(effect.type) && (rtcOwner === null || !consented(ghost, rtcOwner))) {
      fail(`(a) ${effect.type} before consent for ${rtcOwner?.callId}`);
    }
    if (effect.type === 'sendSignal') {
      const s = effect.signal;
      switch (s.type) {
        case 'busy': case 'decline': case 'hangup': break;
        case 'ring': if (event.type !== 'placeCall' || event.callId !== s.callId) fail('(a) ring sent without placeCall'); break;
        case 'accept': if (!ghost.localAccepted.includes(s.callId)) fail('(a) accept sent before local accept'); break;
        case 'answer': if (!ghost.localAccepted.includes(s.callId) && !movingToVideo(ghost, pre, s.callId)) fail('(a) answer sent before local accept'); break;
        case 'offer': if (!ghost.remoteAccepted.includes(s.callId) && !movingToVideo(ghost, pre, s.callId)) fail('(a) offer sent before the callee accepted'); break;
        // (q) an ask for video, or its answer, only on the member's own act.
        case 'videoRequest': if (event.type !== 'localRequestVideo') fail('(q) a video ask sent without the member asking'); break;
        case 'videoAccept': if (event.type !== 'localAcceptVideo') fail('(q) a video accept sent without the member accepting'); break;
        case 'videoDecline': if (event.type !== 'localDeclineVideo' && event.type !== 'localCancelVideo') fail('(q) a video decline sent without the member declining'); break;
        case 'ice': if (rtcOwner?.callId !== s.callId || !consented(ghost, rtcOwner)) fail('(a) ICE sent before consent'); break;
        default: fail(`unknown signal ${JSON.stringify(s)}`);
      }
    }
    // (q) the camera joins a voice call only once both members consented in this round, this one by
    // its own act; and the move takes one description each way: one sent, one applied.
    if (effect.type === 'enableVideo' && !(rtcOwner !== null && movingToVideo(ghost, pre, rtcOwner.callId))) fail('(q) video enabled without both members consenting');
    if (pre.kind === 'active' && effect.type === 'sendSignal' && (effect.signal.type === 'offer' || effect.signal.type === 'answer')) {
      if (!ghost.videoRound || ghost.videoRound.sent >= 1) fail(`(q) a second ${effect.signal.type} sent in an active call`);
      ghost = { ...ghost, videoRound: { ...ghost.videoRound!, sent: ghost.videoRound!.sent + 1 } };
    }
    if (pre.kind === 'active' && effect.type === 'setRemoteDescription') {
      if (!ghost.videoRound || !movingToVideo(ghost, pre, pre.callId) || ghost.videoRound.applied >= 1) fail('(q) a remote description applied in an active call outside the one move both consented to');
      ghost = { ...ghost, videoRound: { ...ghost.videoRound!, applied: ghost.videoRound!.applied + 1 } };
    }
    if (effect.type === 'showIncomingRing') {
      if (ghost.ringing !== null) fail('two calls ringing at once');
      // (g) a call id rings at most once, however it comes back.
      if (ghost.used.includes(effect.callId)) fail(`(g) call ${effect.callId} rang a second time`);
      if (ring?.signal.callId !== effect.callId) fail('(g) a ring shown without its ring');
      ghost = {
        ...ghost, ringing: effect.callId, used: add(ghost.used, effect.callId),
        bound: add(ghost.bound, `${effect.callId}|${ring.conversation.groupId}`), views: withView(ghost.views, ring.conversation),
      };
      answeredRing = true;
    }
    if (effect.type === 'sendSignal') {
      const s = effect.signal;
      if (s.type === 'ring' && event.type === 'placeCall') {
        ghost = { ...ghost, used: add(ghost.used, s.callId), bound: add(ghost.bound, `${s.callId}|${event.conversation.groupId}`) };
      }
      if (s.type === 'busy') {
        // (e) busy answers a ring, to its device, in the conversation it came from, which holds only the two accounts.
        if (ring?.signal.callId !== s.callId || ring.conversation.groupId !== effect.conversationId) fail('(e) busy sent for no ring or elsewhere');
        if (effect.toDevice !== ring.fromDevice || !betweenAccounts(viewKey(ring.conversation), effect.toUser, effect.toDevice)) fail('(e) busy sent into a conversation with others in it');
        ghost = { ...ghost, used: add(ghost.used, s.callId) };
        answeredRing = true;
      } else {
        // (e) everything else goes only into the call's own conversation, and only while it holds
        // devices of the two accounts alone, the recipient device among them.
        if (boundOf(ghost, s.callId) !== effect.conversationId) fail(`(e) ${s.type} for ${s.callId} sent outside its call's conversation`);
        if (!betweenAccounts(viewOf(ghost.views, effect.conversationId), effect.toUser, effect.toDevice)) {
          fail(`(e) ${s.type} sent into a conversation that does not hold the two accounts alone`);
        }
        // (o) only the ring and the caller's hangup while it rings out are for every device of the
        // peer; everything else names the one device the call is with.
        const broadcast = s.type === 'ring' || (s.type === 'hangup' && pre.kind === 'outgoing-ringing');
        if (effect.toDevice === null && !broadcast) fail(`(o) ${s.type} sent to every device of the peer`);
        if (effect.toDevice !== null && isLive(pre) && pre.peerDevice !== null && s.type !== 'ring' && effect.toDevice !== pre.peerDevice
          && !(isLive(post) && post.peerDevice === effect.toDevice)) fail(`(o) ${s.type} sent to a device the call is not with`);
        if (s.type === 'hangup' && s.reason === 'glare') answeredRing = true;
      }
    }
    if (effect.type === 'reportAnomaly' && effect.kind === 'ring-flood') {
      // (k) a flood is reported once, for a ring that was refused, until a ring is admitted again.
      if (ring?.fromUser !== effect.fromUser || post !== pre || effects.some((e) => e.type !== 'reportAnomaly')) fail('(k) flood reported for no refused ring');
      const tally = tallyOf(ghost, effect.fromUser);
      if (tally.floodReported) fail(`(k) the same ring flood from ${effect.fromUser} reported twice`);
      ghost = withTally(ghost, { ...tally, floodReported: true });
    }
    if (effect.type === 'startConnectTimer') {
      // (m) the connect timer starts with consent, for the call that is now connecting.
      if (!isConnecting(post) || post.callId !== effect.callId || !consented(ghost, post)) fail(`(m) connect timer started for ${effect.callId} outside its connecting call`);
      if (ghost.connectTimer !== null) fail('(m) a second connect timer started');
      ghost = { ...ghost, connectTimer: effect.callId };
    }
    if (effect.type === 'cancelConnectTimer') {
      if (ghost.connectTimer === null) fail('(m) a connect timer cancelled that was not running');
      ghost = { ...ghost, connectTimer: null };
    }
    if (effect.type === 'refuseSignal' && (event.type !== 'remote' || event.signal.type === 'ring')) fail('(n) a refusal for no signal');
    if (effect.type === 'stopRinging') ghost = { ...ghost, ringing: null };
    if (effect.type === 'logCall' && !(effect.entry.durationMs >= 0)) fail('negative duration');
  }

  // (b) after a call ends, silence until a new call starts (and the new call starts clean). The
  // one thing more it allows is the report of a ring flood to this device's own server, and the
  // refusal of a signal for an unknown call on this device's own screen: neither is part of any
  // call, and nothing reaches the peer.
  if (ghost.silent !== null || pre.kind === 'idle') {
    const allowed = newCall ? ['sendSignal', 'startRingTimer', 'showIncomingRing'] : ['logCall'];
    for (const effect of effects) {
      const floodReport = effect.type === 'reportAnomaly' && effect.kind === 'ring-flood' && ring !== null;
      if (!allowed.includes(effect.type) && !floodReport && effect.type !== 'refuseSignal') fail(`(b) ${effect.type} after the call ended`);
      if (effect.type === 'sendSignal' && effect.signal.type !== 'ring') fail('(b) signal other than a new ring after the call ended');
    }
    if (!newCall && post !== pre) fail('(b) an ended call changed state without a new call');
  }
  // (c) a ring from a stranger, a blocked contact, the past or too far in the future never rings
  // and never answers.
  if (event.type === 'remote' && event.signal.type === 'ring'
    && (!event.senderIsContact || event.senderBlocked || event.now - event.signal.sentAt > RING_MAX_AGE_MS
      || event.signal.sentAt - event.now > RING_MAX_SKEW_MS)) {
    if (post !== pre || effects.some((e) => e.type !== 'logCall')) fail('(c) rejected ring did something');
  }
  // (h) a ring whose call id was used before (declined, missed, answered busy...) gets nothing:
  // no ring, no busy, no state change.
  if (ringWasUsed && (post !== pre || effects.length > 0)) fail('(h) a ring for a used call id did something');
  // (i) a ring in a conversation that holds anyone besides the two accounts' devices, or from
  // another device of this account, neither rings nor answers.
  if (ring && (!betweenAccounts(viewKey(ring.conversation), ring.fromUser, ring.fromDevice))
    && effects.some((e) => e.type === 'sendSignal' || e.type === 'showIncomingRing')) fail('(i) a ring from a shared conversation was answered');
  // (l) a signal for the call from another conversation changes nothing and is only reported.
  if (event.type === 'remote' && event.signal.type !== 'ring' && addressedTo(pre, event) && isLive(pre)
    && event.conversation.groupId !== boundOf(ghost, pre.callId)) {
    if (post !== pre || effects.some((e) => e.type !== 'reportAnomaly')) fail('(l) a signal from another conversation was acted on');
  }
  // (j) a contact's rings are answered (rung, busy, glare) at most MAX_ANSWERED_RINGS_PER_WINDOW
  // times a minute, whatever the server let through; (k) a ring admitted again ends a flood.
  if (ring) {
    const tally = tallyOf(ghost, ring.fromUser);
    // Glare won by our own call admits the ring without a visible answer: the flood may start again.
    const glareKept = isLive(pre) && pre.kind === 'outgoing-ringing' && pre.peer === ring.fromUser && post === pre && effects.length === 0;
    if (answeredRing) {
      const clock = Math.max(tally.clock, ring.now);
      const answered = [...tally.answered, clock].filter((t) => t >= clock - RING_TALLY_WINDOW_MS);
      if (answered.length > MAX_ANSWERED_RINGS_PER_WINDOW) {
        fail(`(j) ${answered.length} rings from ${ring.fromUser} answered within ${RING_TALLY_WINDOW_MS} ms`);
      }
      ghost = withTally(ghost, { ...tally, clock, answered, floodReported: false });
    } else if (glareKept && tally.floodReported) {
      ghost = withTally(ghost, { ...tally, floodReported: false });
    }
  }
  // (f) a call never outlives a change of its conversation: while it is live, the conversation
  // holds devices of the two accounts alone, with the peer's device the call is bound to.
  if (isLive(post)) {
    const groupId = boundOf(ghost, post.callId);
    if (groupId === undefined) fail(`(f) call ${post.callId} is bound to no conversation`);
    if (!betweenAccounts(viewOf(ghost.views, groupId), post.peer, post.peerDevice)) fail(`(f) call ${post.callId} outlived a change of its conversation`);
  }
  // Signals not addressed to the current call (another peer, device, recipient or id) do nothing
  // but, for another id, their refusal; or, for a callee still waiting, end it quietly because
  // another device of this account took the call (its sibling's answer, or the caller's signal
  // to that sibling): no signal sent, no RTC touched.
  const sibling = event.type === 'remote' && event.fromUser === selfOf(event).user;
  const foreign = event.type === 'remote' && (sibling || !forThisDevice(event));
  if (event.type === 'remote' && event.signal.type !== 'ring' && isLive(pre) && !addressedTo(pre, event)) {
    const elsewhere = post.kind === 'ended' && ELSEWHERE.includes(post.reason) && post.callId === pre.callId && foreign
      && (pre.kind === 'incoming-ringing' || pre.kind === 'callee-connecting') && event.signal.callId === pre.callId;
    if (elsewhere) {
      if (effects.some((e) => e.type === 'sendSignal' || RTC_EFFECTS.has(e.type))) fail('(p) a call answered elsewhere sent or touched RTC');
    } else if (post !== pre || effects.some((e) => e.type !== 'refuseSignal')) fail('misaddressed signal acted on');
  }
  // (n) a signal that names no call of ours (none, or another id) is refused by its id alone, and
  // changes nothing; a signal for the current or just-ended call is never refused as unknown; a
  // signal from another device of this account, or meant for one, is never refused (routine).
  if (event.type === 'remote' && event.signal.type !== 'ring') {
    const known = pre.kind !== 'idle' && event.signal.callId === pre.callId;
    const refusals = effects.filter((e) => e.type === 'refuseSignal');
    if (foreign && refusals.length > 0) fail('(n) a signal for another device of this account was refused as unknown');
    if (!known && !foreign && (post !== pre || effects.length !== 1 || refusals.length !== 1)) fail(`(n) a signal for unknown call ${event.signal.callId} was not refused, or did more`);
    if (!known && foreign && (post !== pre || effects.length > 0)) fail(`(n) a signal for another device's call did something`);
    if (known && refusals.length > 0) fail(`(n) a signal for call ${event.signal.callId} refused as unknown`);
  }
  // (m) consent given but no media within the bound ends the call: a connecting call always has
  // its connect timer running, no timer outlives connecting, and the timer firing ends the call.
  if (isConnecting(post) && ghost.connectTimer !== post.callId) fail(`(m) ${post.kind} call ${post.callId} has no connect timer`);
  if (!isConnecting(post) && ghost.connectTimer !== null) fail(`(m) the connect timer of ${ghost.connectTimer} outlived connecting`);
  if (event.type === 'connectTimeout' && isConnecting(pre) && event.callId === pre.callId && post.kind !== 'ended') {
    fail(`(m) the connect timeout left call ${pre.callId} ${post.kind}`);
  }
  // Scenario 1: no state past ringing without the matching consent.
  if ((post.kind === 'caller-connecting' || post.kind === 'callee-connecting' || post.kind === 'active') && !consented(ghost, post)) {
    fail(`${post.kind} without consent`);
  }

  if (post.kind === 'ended' && pre.kind !== 'ended') ghost = { ...ghost, silent: post.callId, ringing: null };
  if (newCall) ghost = { ...ghost, silent: null };
  return forgetOtherConversations(ghost, post);
}

/**
 * Keeps the binding and the membership of the current call's conversation only. Nothing later
 * consults the others: an ended call sends nothing again (b), a new call binds afresh from its
 * ring or placeCall, and busy is checked against its ring's own conversation. Keeping less makes
 * paths that differ only in what they heard about unrelated conversations merge.
 */
function forgetOtherConversations(ghost: CallRulesGhost, post: CallState): CallRulesGhost {
  const current = currentCall(post);
  const groupId = current === null ? undefined : boundOf(ghost, current);
  const boundPrefix = `${current}|`;
  const viewPrefix = `${groupId}=`;
  const keepBound = (b: string) => current !== null && b.startsWith(boundPrefix);
  const keepView = (v: string) => groupId !== undefined && v.startsWith(viewPrefix);
  if (ghost.bound.every(keepBound) && ghost.views.every(keepView)) return ghost;
  return { ...ghost, bound: ghost.bound.filter(keepBound), views: ghost.views.filter(keepView) };
}
