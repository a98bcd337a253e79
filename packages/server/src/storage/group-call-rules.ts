/**
 * @module storage/group-call-rules
 * What both backends check of a group call record before keeping it.
 */
import { ErrorCode } from '@sotto/protocol';
import { ServerError } from '../errors.js';
import { MAX_GROUP_CALL_RECORD_CHARS } from './domains/group-calls.js';

export function checkGroupCallRecord(record: string | undefined): void {
  if (record === undefined) return;
  if (typeof record !== 'string' || record.length === 0 || record.length > MAX_GROUP_CALL_RECORD_CHARS) {
    // The server made it: too long is the server's fault, not the member's.
    throw new ServerError(ErrorCode.INTERNAL, `A group call record is 1 to ${MAX_GROUP_CALL_RECORD_CHARS} characters.`);
  }
}

/** The queue and lock key of a group's record. */
export const groupCallKey = (groupId: Uint8Array): string => Buffer.from(groupId).toString('hex');
