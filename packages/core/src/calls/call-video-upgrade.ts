/**
 * @module calls/call-video-upgrade
 * A voice call's move to video, inside the active call, by consent of both (docs/PROTOCOL.md
 * 10a). One member asks (`videoRequest`); the other accepts (`videoAccept`) or declines. Only
 * after both consented does the asker renegotiate: its media gets a video section and its camera
 * (`enableVideo`), it sends an offer, and the other, on that offer, opens its own camera and
 * answers. Any other offer or answer in an active call is still renegotiation, refused and
 * reported by the machine. An ask nobody answers, or a move that never completes, ends after
 * VIDEO_REQUEST_TIMEOUT_MS: an ask is then forgotten; a move both consented to that did not
 * complete ends the call as failed (its camera may be open on a half-made offer, and only ending
 * the call closes it cleanly). The asker may withdraw an unanswered ask. Both asking at once
 * (glare): the caller's side renegotiates.
 *
 * Each function returns undefined for what is not about the move, for the machine to decide.
 */
import type { CallState, VideoUpgrade } from './call-state.js';
import type { CallEvent, CallSignal, RemoteSignalEvent } from './call-types.js';
import { VIDEO_ASK_QUIET_MS, VIDEO_REQUEST_TIMEOUT_MS } from './call-types.js';
import { sendTo, unchanged, type CallStep } from './call-result.js';
import { endCall } from './call-ending.js';

type Active = Extract<CallState, { kind: 'active' }>;
type LocalEvent = Exclude<CallEvent, RemoteSignalEvent>;

function withUpgrade(state: Active, upgrade: VideoUpgrade | undefined): Active {
  const { upgrade: _before, ...rest } = state;
  return upgrade ? { ...rest, upgrade } : rest;
}

/**
 * The one description of the move this device may take now: the asker's offer (this member
 * accepted, it has not come yet) or the answer to this device's offer. The shell parses a peer's
 * SDP in an active call only when this says so, and the machine applies exactly the same.
 */
export function expectedDescription(state: CallState): 'offer' | 'answer' | undefined {
  if (state.kind !== 'active' || state.upgrade?.step !== 'negotiating') return undefined;
  const upgrade = state.upgrade;
  if (upgrade.by === 'remote') return upgrade.offerReceived ? undefined : 'offer';
  return upgrade.descriptionSent ? 'answer' : undefined;
}

/** The member's ask, accept or decline, the clock, and this device's description during the move. */
export function videoUpgradeEvent(state: Active, event: LocalEvent): CallStep | undefined {
  const upgrade = state.upgrade;
  switch (event.type) {
    case 'localRequestVideo':
      if (state.media === 'video' || upgrade) return unchanged(state);
      return { state: withUpgrade(state, { step: 'asked', by: 'local', at: event.now }), effects: [sendTo(state, { type: 'videoRequest', callId: state.callId })] };
    case 'localAcceptVideo':
      if (upgrade?.step !== 'asked' || upgrade.by !== 'remote') return unchanged(state);
      // The camera waits for the asker's offer: it opens as that offer is answered.
      return { state: withUpgrade(state, { step: 'negotiating', by: 'remote', at: event.now }), effects: [sendTo(state, { type: 'videoAccept', callId: state.callId })] };
    case 'localDeclineVideo':
      if (upgrade?.step !== 'asked' || upgrade.by !== 'remote') return unchanged(state);
      return { state: { ...withUpgrade(state, undefined), quietAsksUntil: event.now + VIDEO_ASK_QUIET_MS }, effects: [sendTo(state, { type: 'videoDecline', callId: state.callId })] };
    case 'localCancelVideo':
      // The asker withdraws an ask not yet answered; the peer's prompt goes.
      if (upgrade?.step !== 'asked' || upgrade.by !== 'local') return unchanged(state);
      return { state: withUpgrade(state, undefined), effects: [sendTo(state, { type: 'videoDecline', callId: state.callId })] };
    case 'tick':
      if (!upgrade || event.now - upgrade.at < VIDEO_REQUEST_TIMEOUT_MS) return undefined;
      if (upgrade.step === 'negotiating') {
        return endCall(withUpgrade(state, undefined), { reason: 'failed', outcome: 'failed', now: event.now, send: { type: 'hangup', callId: state.callId, reason: 'failed' } });
      }
      return { state: withUpgrade(state, undefined), effects: upgrade.by === 'local' ? [{ type: 'videoRequestEnded', reason: 'expired' }] : [] };
    case 'localDescription': {
      if (upgrade?.step !== 'negotiating' || upgrade.descriptionSent) return undefined;
      if (upgrade.by === 'local') {
        return { state: withUpgrade(state, { ...upgrade, descriptionSent: true }), effects: [sendTo(state, { type: 'offer', callId: state.callId, sdp: event.sdp })] };
      }
      // The answer, to the offer received, completes the move on this side.
      if (!upgrade.offerReceived) return undefined;
      return { state: { ...withUpgrade(state, undefined), media: 'video' }, effects: [sendTo(state, { type: 'answer', callId: state.callId, sdp: event.sdp })] };
    }
    default:
      return undefined;
  }
}

/** The peer's ask, accept, decline, and the offer or answer of the move. */
export function videoUpgradeSignal(state: Active, event: RemoteSignalEvent, signal: CallSignal): CallStep | undefined {
  const upgrade = state.upgrade;
  switch (signal.type) {
    case 'videoRequest':
      if (state.media === 'video') return unchanged(state);
      if (upgrade?.step === 'asked' && upgrade.by === 'local') {
        // Both asked at once: both consented. The caller renegotiates; the callee waits for its offer.
        if (state.role === 'caller') return { state: withUpgrade(state, { step: 'negotiating', by: 'local', at: event.now }), effects: [{ type: 'enableVideo' }, { type: 'createOffer' }] };
        return { state: withUpgrade(state, { step: 'negotiating', by: 'remote', at: event.now }), effects: [] };
      }
      // A new ask soon after the member declined one is not shown: it expires on the asker's side.
      if (upgrade || (state.quietAsksUntil !== undefined && event.now < state.quietAsksUntil)) return unchanged(state);
      return { state: withUpgrade(state, { step: 'asked', by: 'remote', at: event.now }), effects: [] };
    case 'videoAccept':
      if (upgrade?.step !== 'asked' || upgrade.by !== 'local') return unchanged(state);
      return { state: withUpgrade(state, { step: 'negotiating', by: 'local', at: event.now }), effects: [{ type: 'enableVideo' }, { type: 'createOffer' }] };
    case 'videoDecline':
      if (upgrade?.step !== 'asked') return unchanged(state);
      return { state: withUpgrade(state, undefined), effects: upgrade.by === 'local' ? [{ type: 'videoRequestEnded', reason: 'declined' }] : [] };
    case 'offer':
      // The one offer this device agreed to: the asker's, after this member accepted.
      if (expectedDescription(state) !== 'offer' || !upgrade) return undefined;
      return { state: withUpgrade(state, { ...upgrade, offerReceived: true }), effects: [{ type: 'enableVideo' }, { type: 'setRemoteDescription', sdp: signal.sdp }, { type: 'createAnswer' }] };
    case 'answer':
      if (expectedDescription(state) !== 'answer') return undefined;
      return { state: { ...withUpgrade(state, undefined), media: 'video' }, effects: [{ type: 'setRemoteDescription', sdp: signal.sdp }] };
    default:
      return undefined;
  }
}
