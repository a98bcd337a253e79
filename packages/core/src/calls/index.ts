/** @module calls: the pure 1:1 call state machine and its vocabulary. */
export type {
  CallId, MediaKind, Role, HangupReason, CallSignal, CallSignalType, RemoteSignalEvent, CallEvent,
  CallDirection, CallOutcome, CallLogEntry, CallAnomalyKind, CallEffect, CallEffectType,
} from './call-types.js';
export { RTC_EFFECTS, RING_TIMEOUT_MS, RING_MAX_AGE_MS, MAX_PENDING_CANDIDATES } from './call-types.js';
export type { CallParty, CallMedia, EndReason, CallState, CallStateKind, LiveCallState } from './call-state.js';
export { initialCallState, isLive } from './call-state.js';
export type { TransitionResult } from './call-result.js';
export { transition } from './call-machine.js';
