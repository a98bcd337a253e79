/** @module calls: the pure 1:1 call state machine and its vocabulary. */
export type {
  CallId, MediaKind, Role, HangupReason, CallSignal, CallSignalType, RemoteSignalEvent, CallEvent,
  CallDirection, CallOutcome, CallLogEntry, CallAnomalyKind, CallEffect, CallEffectType, CallDevice, ConversationView, VideoRequestEndReason,
} from './call-types.js';
export {
  RTC_EFFECTS, RING_TIMEOUT_MS, RING_MAX_AGE_MS, RING_MAX_SKEW_MS, MAX_PENDING_CANDIDATES, RECENT_CALLS_KEPT,
  RING_BURST, RING_REFILL_MS, MAX_RING_ALLOWANCES, VIDEO_REQUEST_TIMEOUT_MS, VIDEO_ASK_QUIET_MS,
} from './call-types.js';
export type { CallParty, CallMedia, EndReason, CallState, CallStateKind, LiveCallState, CallMachineState, VideoUpgrade } from './call-state.js';
export { initialCallState, initialCallMachineState, isLive } from './call-state.js';
export type { CallMemory, RememberedCall, RingAllowance, RingAdmission } from './call-memory.js';
export { EMPTY_CALL_MEMORY, admitRing, remember, rememberedCall } from './call-memory.js';
export { holdsCall, isBetweenAccounts } from './call-conversation.js';
export type { TransitionResult } from './call-result.js';
export { transition } from './call-machine.js';
export type {
  CandidateType, ParsedCandidate, CandidateErrorCode, CandidateRejection, ParseCandidateResult,
  FilterCandidateResult, CandidatePolicy,
} from './candidate-filter.js';
export {
  DEFAULT_CANDIDATE_POLICY, MAX_CANDIDATE_LENGTH, candidatePolicy, parseCandidate, filterCandidate, checkRemoteCandidate,
} from './candidate-filter.js';
export type { IpAddress, AddressClass } from './ip-address.js';
export { parseIp, parseIpv4, parseIpv6, classifyIp } from './ip-address.js';
export type { SdpKind, DtlsSetup, SdpErrorCode, SdpCodec, ValidatedSdp, SdpValidationResult, SdpValidationOptions } from './sdp-validator.js';
export { validateSdp, SDP_ERROR_CODES, MAX_SDP_LENGTH, MAX_SDP_LINES, MAX_SDP_LINE_LENGTH, MAX_EXTMAPS, ALLOWED_EXTMAP_URIS } from './sdp-validator.js';
export type { IceServer, CallMediaOptions, CallMediaHandlers, CallMediaSession, CallMediaFactory } from './call-media.js';
export { Calls } from './call-controller.js';
export type { CallsConfig, CallOptions, PlaceCallResult, SignalOrigin } from './call-controller.js';
export { CallEvents, type CallInputRefused, type PublicCallEvents } from './call-events.js';
export { callSignalContent, callSignalFromWire } from './call-signal-codec.js';
