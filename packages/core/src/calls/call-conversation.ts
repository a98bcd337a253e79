/**
 * @module calls/call-conversation: the one rule that binds a call to its conversation. A call's
 * signals travel only in a conversation whose members are devices of exactly two accounts, this
 * device's and the peer's. Each account's devices are the ones on its signed device list (MLS
 * credentials of any other device are refused), so what the call sends (accept, SDP, candidates
 * with this device's addresses) reaches the peer's devices and this account's own, nobody else.
 */
import type { ConversationView } from './call-types.js';

/** True when the conversation holds at least one device of `peer` and, besides them, only this account's devices. */
export function isBetweenAccounts(view: ConversationView, peer: string): boolean {
  if (peer === view.self.user) return false;
  return view.others.some((m) => m.user === peer) && view.others.every((m) => m.user === peer || m.user === view.self.user);
}

/**
 * True when a call with `peer` (bound to `peerDevice`, or to none yet while it rings out) can go
 * on in the conversation as it is now: still only the two accounts, and the peer's device in it.
 * Devices of either account may come and go meanwhile (a member links a laptop mid-call).
 */
export function holdsCall(view: ConversationView, peer: string, peerDevice: string | null): boolean {
  if (!isBetweenAccounts(view, peer)) return false;
  return peerDevice === null || view.others.some((m) => m.user === peer && m.device === peerDevice);
}
