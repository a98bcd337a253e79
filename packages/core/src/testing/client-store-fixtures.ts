/**
 * @module testing/client-store-fixtures
 * Sample records for the ClientStore contract: valid by default, any field
 * overridable, so each contract test states only what it is about.
 */
import { ContactState } from '@sotto/protocol';
import type {
  OutboxEntry,
  PinnedDevice,
  StoredCallLogEntry,
  StoredContact,
  StoredConversation,
  StoredIdentity,
  StoredKeyPackage,
  StoredMessage,
} from '../ports.js';

/** Bytes that differ per seed, so a store mixing up two fields is caught. */
export function sampleBytes(seed: number, length = 8): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (seed * 31 + i * 7) & 0xff);
}

export function sampleIdentity(over: Partial<StoredIdentity> = {}): StoredIdentity {
  return { serverUrl: 'https://sotto.test', username: 'alice', deviceId: 'd1', publicKey: sampleBytes(1, 32), signKey: sampleBytes(2, 64), createdAt: 1_000, ...over };
}

/** `pending` is always an own property, as every store returns it, so deepEqual compares like with like. */
export function sampleConversation(groupId: string, over: Partial<StoredConversation> = {}): StoredConversation {
  return { groupId, kind: 'group', name: `name of ${groupId}`, state: sampleBytes(3, 40), epoch: 1n, createdAt: 1_000, active: true, pending: undefined, ...over };
}

export function sampleMessage(messageId: string, groupId: string, over: Partial<StoredMessage> = {}): StoredMessage {
  return { messageId, groupId, sender: 'bob', senderDevice: 'b1', body: `body of ${messageId}`, sentAt: 1_000, receivedAt: 1_001, outgoing: false, status: 'delivered', ...over };
}

export function sampleContact(username: string, over: Partial<StoredContact> = {}): StoredContact {
  return { username, state: ContactState.ACCEPTED, text: `hello from ${username}`, updatedAt: 1_000, ...over };
}

export function sampleOutboxEntry(messageId: string, over: Partial<OutboxEntry> = {}): OutboxEntry {
  return { messageId, groupId: 'g1', payload: sampleBytes(4, 16), createdAt: 1_000, ...over };
}

export function sampleKeyPackage(ref: string, lastResort = false): StoredKeyPackage {
  return {
    ref,
    publicPackage: sampleBytes(5, 48),
    initPrivateKey: sampleBytes(6, 32),
    hpkePrivateKey: sampleBytes(7, 32),
    signaturePrivateKey: sampleBytes(8, 32),
    lastResort,
  };
}

export function samplePin(username: string, deviceId: string, seed = 9): PinnedDevice {
  return { username, deviceId, identityKey: sampleBytes(seed, 32) };
}

export function sampleCall(callId: string, over: Partial<StoredCallLogEntry> = {}): StoredCallLogEntry {
  return { callId, peer: 'bob', direction: 'outgoing', outcome: 'answered', durationMs: 3_000, endedAt: 1_000, ...over };
}
