/** @module storage/sqlite/entry-fixture A mailbox entry with a given seq, for the tails' tests (not used at run time). */
import { DeliveryKind } from '@sotto/protocol';
import type { MailboxEntry } from '../types.js';

export const entryAt = (seq: number): MailboxEntry => ({
  seq: BigInt(seq),
  kind: DeliveryKind.MLS_MESSAGE,
  sender: { username: 'alice', deviceId: 'd1' },
  groupId: new Uint8Array(32),
  messageId: new Uint8Array(16),
  payload: new Uint8Array(8),
  epoch: 0n,
  storedAt: seq,
  expiresAt: 0,
});
