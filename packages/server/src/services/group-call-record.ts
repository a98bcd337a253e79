/**
 * @module services/group-call-record
 * The document the store keeps for each group with a call (storage/domains/group-calls.ts): its
 * room at the SFU, each device admitted to it with the admissions it was given, and clean-ups the
 * SFU has not taken yet. Every node of a cluster reads and writes it, so it holds what any node
 * needs to act on the room: which SFU (by the URL members reach it at), the join tokens and feed
 * ids to revoke. Decoding checks the shape, so a record from a newer or broken node is dropped
 * with a clear error instead of half-read.
 */
import { ErrorCode } from '@sotto/protocol';
import { ServerError } from '../errors.js';

export interface AdmissionEntry {
  readonly feedId: number;
  readonly joinToken: string;
  readonly expiresAt: number;
}

export interface ParticipantEntry {
  /** storage/types.ts's `deviceKey`: the device in the call (the SFU never sees it). */
  readonly device: string;
  /** Its opaque reference at the SFU, the same while it is in the call. */
  readonly reference: string;
  /** The admissions it was given, newest last (a device that joined again may still publish on an earlier feed). */
  admissions: AdmissionEntry[];
}

export interface RoomEntry {
  /** The URL members reach the room's SFU at: how every node finds the same SFU. */
  readonly sfu: string;
  readonly roomId: number;
  participants: ParticipantEntry[];
}

/** Something the SFU must still be told: a revocation it did not take, a room it did not end. */
export type CleanupEntry =
  | { readonly what: 'destroy'; readonly sfu: string; readonly roomId: number }
  | { readonly what: 'revoke'; readonly sfu: string; readonly roomId: number; readonly reference: string; readonly joinTokens: readonly string[]; readonly feedIds: readonly number[] };

export interface GroupCallRecord {
  room: RoomEntry | undefined;
  cleanups: CleanupEntry[];
}

/** Admissions kept per device: its newest (about 170 characters each). */
export const MAX_ADMISSIONS_KEPT = 4;
/**
 * Clean-ups kept per group: beyond them the oldest are dropped. Ending a room replaces the
 * revocations in it, and a room is given up when its SFU stops answering, so this is reached
 * only by an SFU that answers some requests and fails others for long. With 32 participants of
 * 4 admissions and this many clean-ups, a record is under 90,000 characters (test: the largest).
 */
export const MAX_CLEANUPS_KEPT = 64;
const VERSION = 1;

export function emptyRecord(): GroupCallRecord {
  return { room: undefined, cleanups: [] };
}

/** The stored form; undefined when there is nothing left to keep (no room, no clean-up). */
export function encodeGroupCallRecord(record: GroupCallRecord): string | undefined {
  if (!record.room && record.cleanups.length === 0) return undefined;
  return JSON.stringify({ v: VERSION, room: record.room ?? null, cleanups: record.cleanups.slice(-MAX_CLEANUPS_KEPT) });
}

/** A record written by a newer server (a rolling upgrade): left as it is, never overwritten. */
export class NewerRecordError extends ServerError {
  override readonly name = 'NewerRecordError';
}

/** Reads a stored record; a record of another shape is an INTERNAL error naming what is wrong. */
export function decodeGroupCallRecord(stored: string | undefined): GroupCallRecord {
  if (stored === undefined) return emptyRecord();
  let value: unknown;
  try {
    value = JSON.parse(stored);
  } catch {
    throw broken('it is not JSON');
  }
  const top = object(value, 'the record');
  if (typeof top.v === 'number' && top.v > VERSION) {
    throw new NewerRecordError(ErrorCode.INTERNAL, `This group call was arranged by a newer server (record version ${top.v}); update this node.`);
  }
  if (top.v !== VERSION) throw broken(`its version is ${String(top.v)}, not ${VERSION}`);
  const room = top.room === null ? undefined : roomEntry(top.room);
  if (!Array.isArray(top.cleanups)) throw broken('cleanups is not a list');
  return { room, cleanups: top.cleanups.map(cleanupEntry) };
}

function roomEntry(value: unknown): RoomEntry {
  const room = object(value, 'room');
  if (!Array.isArray(room.participants)) throw broken('room.participants is not a list');
  return { sfu: text(room.sfu, 'room.sfu'), roomId: whole(room.roomId, 'room.roomId'), participants: room.participants.map(participantEntry) };
}

function participantEntry(value: unknown): ParticipantEntry {
  const p = object(value, 'a participant');
  if (!Array.isArray(p.admissions)) throw broken('a participant\'s admissions is not a list');
  return { device: text(p.device, 'participant.device'), reference: text(p.reference, 'participant.reference'), admissions: p.admissions.map(admissionEntry) };
}

function admissionEntry(value: unknown): AdmissionEntry {
  const a = object(value, 'an admission');
  return { feedId: whole(a.feedId, 'admission.feedId'), joinToken: text(a.joinToken, 'admission.joinToken'), expiresAt: whole(a.expiresAt, 'admission.expiresAt') };
}

function cleanupEntry(value: unknown): CleanupEntry {
  const c = object(value, 'a clean-up');
  const sfu = text(c.sfu, 'cleanup.sfu');
  const roomId = whole(c.roomId, 'cleanup.roomId');
  if (c.what === 'destroy') return { what: 'destroy', sfu, roomId };
  if (c.what !== 'revoke' || !Array.isArray(c.joinTokens) || !Array.isArray(c.feedIds)) throw broken('a clean-up is neither a destroy nor a revoke');
  return {
    what: 'revoke',
    sfu,
    roomId,
    reference: text(c.reference, 'cleanup.reference'),
    joinTokens: c.joinTokens.map((t) => text(t, 'cleanup.joinTokens')),
    feedIds: c.feedIds.map((f) => whole(f, 'cleanup.feedIds')),
  };
}

function object(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw broken(`${what} is not an object`);
  return value as Record<string, unknown>;
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0) throw broken(`${what} is not a string`);
  return value;
}

function whole(value: unknown, what: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) throw broken(`${what} is not a whole number`);
  return value as number;
}

function broken(why: string): ServerError {
  return new ServerError(ErrorCode.INTERNAL, `A stored group call record cannot be read: ${why}.`);
}

/** The feed ids of a participant's admissions. */
export const feedsOf = (participant: ParticipantEntry): number[] => participant.admissions.map((a) => a.feedId);

/** When the participant's newest admission expires. */
export const expiryOf = (participant: ParticipantEntry): number => Math.max(0, ...participant.admissions.map((a) => a.expiresAt));

/**
 * What can be saved from a record that does not read: its room, to be ended (nobody can be
 * admitted to it any more, and it must not stay open at the SFU with people in it).
 */
export function salvageRoom(stored: string): { sfu: string; roomId: number } | undefined {
  try {
    const room = (JSON.parse(stored) as { room?: { sfu?: unknown; roomId?: unknown } } | null)?.room;
    if (room && typeof room.sfu === 'string' && room.sfu.length > 0 && Number.isSafeInteger(room.roomId) && (room.roomId as number) > 0) return { sfu: room.sfu, roomId: room.roomId as number };
  } catch {
    // Not JSON at all: nothing to save.
  }
  return undefined;
}
