/** @module calls/call-events: what the call shell tells the UI (or CLI); never content, never SDP. */
import { Emitter, type SubscribeSides } from '../events.js';
import type { StoredCallLogEntry } from '../ports.js';
import type { CallState } from './call-state.js';
import type { VideoRequestEndReason } from './call-types.js';

/**
 * A remote call input refused before it reached the RTC stack, with a stable code
 * (`SDP_<SdpErrorCode>`, `CANDIDATE_<CandidateErrorCode>`, `UNKNOWN_CALL`, `RING_NOT_ADMITTED`,
 * `SIGNAL_BEFORE_ACCEPT`, `RENEGOTIATION`, `UNEXPECTED_SIGNAL`, `WRONG_CONVERSATION`, `RING_FLOOD`)
 * and a message for people.
 */
export interface CallInputRefused {
  readonly code: string;
  readonly message: string;
}

/** The call shell's own emitters: only `Calls` (and the inbox, through `Calls`) fires them. */
export class CallEvents {
  /** Every state change of this device's call. */
  readonly didChangeCall = new Emitter<CallState>();
  /** A contact's ring is being shown; `accept()` or `decline()` answer it. */
  readonly didRing = new Emitter<{ readonly callId: string; readonly peer: string }>();
  /** The peer's first audio packet arrived. */
  readonly didReceiveFirstAudio = new Emitter<{ readonly callId: string }>();
  /** A call-log line was written (a call ended, or a missed call request arrived). */
  readonly didLogCall = new Emitter<StoredCallLogEntry>();
  readonly didRefuseInput = new Emitter<CallInputRefused>();
  /** A candidate left for the peer, or a peer's candidate passed the policy: its type only, never its address. */
  readonly didExchangeCandidate = new Emitter<{ readonly direction: 'sent' | 'received'; readonly candidateType: string }>();
  /** This member's ask for video ended without video: the peer declined, or nobody answered in time. */
  readonly didEndVideoRequest = new Emitter<{ readonly reason: VideoRequestEndReason }>();
}

/** What `client.calls.events` gives callers: each event's subscribe side, never `fire`. */
export type PublicCallEvents = SubscribeSides<CallEvents>;
