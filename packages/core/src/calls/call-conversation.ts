/**
 * @module calls/call-conversation: the one rule that binds a call to its conversation. A call's
 * signals travel only in a conversation whose members are exactly this device and the peer's
 * one device: with anyone else in it, what the call sends (accept, SDP, candidates with this
 * device's addresses) would reach them too.
 */
import type { ConversationView } from './call-types.js';

/** True when the conversation holds exactly this device and `user`'s `device`, nobody else. */
export function isPairWith(view: ConversationView, user: string, device: string): boolean {
  const only = view.others.length === 1 ? view.others[0] : undefined;
  return only !== undefined && only.user === user && only.device === device;
}
