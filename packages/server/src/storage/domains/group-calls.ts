/**
 * @module storage/domains/group-calls
 * The group-call part of the storage contract: one record per group with a call going on (its
 * room at the SFU, who is admitted, clean-ups the SFU has not taken yet), kept where every node
 * of a cluster reads and changes it. The record is the group-call service's own document
 * (services/group-call-record.ts); the store keeps it opaque and guarantees one thing: changes to
 * one group's record run one at a time across every node, each seeing the one before.
 */

/** The longest record the store keeps, in characters: twice the largest the service makes (services/group-call-record.ts). */
export const MAX_GROUP_CALL_RECORD_CHARS = 256 * 1024;

export interface GroupCallRecordEntry {
  readonly groupId: Uint8Array;
  readonly record: string;
}

/** What a change leaves behind: the new record (undefined deletes it) and what to hand its caller. */
export interface GroupCallChange<T> {
  readonly record: string | undefined;
  readonly result: T;
}

export interface GroupCallReader {
  /** Every group's call record: the sweep's list, and where the SFUs' load is read from. */
  listGroupCalls(): Promise<GroupCallRecordEntry[]>;
}

export interface GroupCallWriter {
  /**
   * Runs `change` on the group's record (undefined: none), with no other change to that group's
   * record running on any node meanwhile, and stores what it returns. `change` may take seconds
   * (it talks to the SFU) and may read the store, but must not change a group call itself. If it
   * throws, nothing is stored and the error is rethrown. A record longer than
   * MAX_GROUP_CALL_RECORD_CHARS is refused (INTERNAL) and nothing is stored.
   */
  changeGroupCall<T>(groupId: Uint8Array, change: (record: string | undefined) => Promise<GroupCallChange<T>>): Promise<T>;
}

export interface GroupCallStore extends GroupCallReader, GroupCallWriter {}
